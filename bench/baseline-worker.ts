// The benchmark's baseline: the least a webhook endpoint can do. It reads the raw body, inserts
// it into one table over the same driver and per-request connection pattern Switchboard uses,
// and answers 200. No verification, no parsing, no tickets.
import pg from "pg";

type Env = { DATABASE_URL: string };

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const body = await request.text();
    const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 1 });
    pool.on("error", () => {});
    try {
      await pool.query("insert into bench_raw (body) values ($1)", [body]);
      return new Response("ok");
    } finally {
      ctx.waitUntil(pool.end());
    }
  },
} satisfies ExportedHandler<Env>;
