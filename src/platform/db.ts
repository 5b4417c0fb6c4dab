import { Pool as NeonPool, neonConfig } from "@neondatabase/serverless";
import { drizzle as drizzleNeon } from "drizzle-orm/neon-serverless";
import { drizzle as drizzlePg, type NodePgDatabase } from "drizzle-orm/node-postgres";
import pg from "pg";
import * as schema from "@/db/schema";
import type { Env } from "./env";
import type { Logger } from "./logger";

export type Database = NodePgDatabase<typeof schema>;
export type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];
/** Anything that can run a query: the database or an open transaction. */
export type Executor = Database | Transaction;

export type DatabaseDriver = "neon" | "pg";

export function chooseDriver(env: Pick<Env, "DATABASE_URL" | "DATABASE_DRIVER">): DatabaseDriver {
  if (env.DATABASE_DRIVER !== "auto") return env.DATABASE_DRIVER;
  return new URL(env.DATABASE_URL).hostname.endsWith(".neon.tech") ? "neon" : "pg";
}

type PoolClient = { on(event: "error", listener: (error: Error) => void): unknown };
type Pool = {
  end(): Promise<void>;
  on(event: "error", listener: (error: Error) => void): unknown;
  on(event: "connect", listener: (client: PoolClient) => void): unknown;
};

/**
 * One connection pool per request (Workers cannot share sockets between requests), opened on
 * first use and closed by `close()`, which the caller hands to `ctx.waitUntil`.
 */
export class DatabaseHandle {
  private pool: Pool | undefined;
  private database: Database | undefined;
  private ending = false;

  constructor(
    private readonly env: Env,
    private readonly log: Logger,
  ) {}

  get driver(): DatabaseDriver {
    return chooseDriver(this.env);
  }

  get db(): Database {
    if (!this.database) this.database = this.open();
    return this.database;
  }

  get opened(): boolean {
    return this.pool !== undefined;
  }

  private open(): Database {
    const { env } = this;
    let pool: Pool;
    let database: Database;
    if (this.driver === "neon") {
      if (env.NEON_WS_PROXY) {
        const proxy = env.NEON_WS_PROXY;
        neonConfig.wsProxy = (host, port) => `${proxy}?address=${host}:${port}`;
        neonConfig.useSecureWebSocket = false;
        neonConfig.pipelineConnect = false;
        neonConfig.pipelineTLS = false;
      }
      const neonPool = new NeonPool({ connectionString: env.DATABASE_URL, max: 4 });
      pool = neonPool;
      // The neon Pool is API-compatible with pg's; drizzle's two Pg databases share one query builder.
      database = drizzleNeon({ client: neonPool, schema, casing: "snake_case" }) as unknown as Database;
    } else {
      const pgPool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 4, connectionTimeoutMillis: 10_000 });
      pool = pgPool;
      database = drizzlePg({ client: pgPool, schema, casing: "snake_case" });
    }
    const onError = (error: Error) => {
      // Closing a socket at the end of a request makes its read loop reject; that is expected.
      if (!this.ending) this.log.error("database pool error", { error });
    };
    pool.on("error", onError);
    // The pool listens only to idle clients: a connection lost while checked out (mid-query or
    // mid-transaction) emitted an unhandled 'error' event. The query itself still fails.
    pool.on("connect", (client) => client.on("error", onError));
    this.pool = pool;
    return database;
  }

  async close(): Promise<void> {
    if (!this.pool || this.ending) return;
    this.ending = true;
    try {
      await this.pool.end();
    } catch (error) {
      this.log.warn("database pool close failed", { error });
    }
  }
}
