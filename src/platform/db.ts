import { Pool as NeonPool, neonConfig } from "@neondatabase/serverless";
import { NeonDatabase, NeonSession } from "drizzle-orm/neon-serverless";
import { NodePgDatabase, NodePgSession } from "drizzle-orm/node-postgres";
import { PgDialect } from "drizzle-orm/pg-core";
import pg from "pg";
import { useCompiler } from "@/db/compile-sql";
import { statementName } from "@/db/prepared";
import { type Env, isNeonHost } from "./env";
import type { Logger } from "./logger";

// Without the relational schema: nothing here uses db.query.<table>, and with it every database
// and every transaction object builds a query builder per table (51) on each request.
export type Database = NodePgDatabase;
export type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];
/** Anything that can run a query: the database or an open transaction. */
export type Executor = Database | Transaction;

export type DatabaseDriver = "neon" | "pg";

/**
 * Runs a request's independent queries one after another, each on the connection the last one
 * used. Side by side (Promise.all) they cannot share it: every query beyond the first opened a
 * connection of its own, a new backend or a pooler's TLS handshake and authentication, which
 * costs more than the round trip it saves (bench:scale: a ticket list 21 ms, 15 ms in turn).
 */
export async function inTurn<S extends (() => unknown)[]>(...steps: S): Promise<Results<S>> {
  const results: unknown[] = [];
  for (const step of steps) results.push(await step());
  return results as Results<S>;
}
type Results<S extends (() => unknown)[]> = { [K in keyof S]: S[K] extends () => infer R ? Awaited<R> : never };

/** Whether marked statements (src/db/prepared.ts) go as named statements on this database. */
export function namesStatements(env: Pick<Env, "DATABASE_URL" | "DATABASE_PREPARED_STATEMENTS">): boolean {
  if (env.DATABASE_PREPARED_STATEMENTS !== "auto") return env.DATABASE_PREPARED_STATEMENTS === "on";
  return isNeonHost(env.DATABASE_URL);
}

export function chooseDriver(env: Pick<Env, "DATABASE_URL" | "DATABASE_DRIVER">): DatabaseDriver {
  if (env.DATABASE_DRIVER !== "auto") return env.DATABASE_DRIVER;
  return isNeonHost(env.DATABASE_URL) ? "neon" : "pg";
}

// What drizzle() would build on every call: the dialect, whose casing cache then stays warm. Module
// scope on purpose: it is a pure function of the configuration, shared by every request of the isolate.
const dialect = new PgDialect({ casing: "snake_case" });
useCompiler(dialect);

type Socket = {
  write(data: Uint8Array | string, encoding?: BufferEncoding, callback?: (error?: unknown) => void): unknown;
  cork?: () => void;
  uncork?: () => void;
};

/**
 * pg corks its socket around a query's messages (Parse, Bind, Describe, Execute, Sync) so they
 * leave in one write; Node's sockets can, the Workers socket pg uses (pg-cloudflare) cannot, so
 * each message was a write of its own: a native call and a promise, five per statement, about a
 * fifth of a new conversation's CPU (measured). This gives that socket the two methods.
 */
function corkWrites(socket: Socket): void {
  if (socket.cork) return;
  const write = socket.write.bind(socket);
  let corked: Uint8Array[] | undefined;
  socket.cork = () => {
    corked ??= [];
  };
  socket.uncork = () => {
    const chunks = corked;
    corked = undefined;
    if (chunks?.length) write(chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks));
  };
  socket.write = (data, encoding, callback) => {
    if (!corked) return write(data, encoding, callback);
    corked.push(typeof data === "string" ? Buffer.from(data, encoding ?? "utf8") : data);
    callback?.();
    return true;
  };
}

type QueryConfig = { text?: unknown; name?: unknown };
type PoolClient = {
  on(event: "error", listener: (error: Error) => void): unknown;
  query(config: unknown, ...rest: unknown[]): unknown;
  /** pg's wire connection: not in its types, present on every client. */
  connection?: { stream?: Socket };
};
type Pool = {
  end(): Promise<void>;
  on(event: "error", listener: (error: Error) => void): unknown;
  on(event: "connect", listener: (client: PoolClient) => void): unknown;
};

/**
 * Gives the statements marked with `prepared()` their name: pg then prepares them by name (Parse
 * "sb_...") instead of unnamed. drizzle passes a config object ({ text, types }); anything else
 * goes through as it came.
 */
function nameStatements(client: PoolClient): void {
  const query = client.query.bind(client);
  client.query = (config: unknown, ...rest: unknown[]) => {
    const { text, name } = (config ?? {}) as QueryConfig;
    const named = typeof text === "string" && name === undefined ? statementName(text) : undefined;
    return query(named ? { ...(config as object), name: named } : config, ...rest);
  };
}

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
    const driver = this.driver;
    if (driver === "neon") {
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
      database = new NeonDatabase(
        dialect,
        new NeonSession(neonPool, dialect, undefined),
        undefined,
      ) as unknown as Database;
    } else {
      const pgPool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 4, connectionTimeoutMillis: 10_000 });
      pool = pgPool;
      database = new NodePgDatabase(dialect, new NodePgSession(pgPool, dialect, undefined), undefined);
    }
    const named = namesStatements(env);
    const onError = (error: Error) => {
      // Closing a socket at the end of a request makes its read loop reject; that is expected.
      if (!this.ending) this.log.error("database pool error", { error });
    };
    pool.on("error", onError);
    // The pool listens only to idle clients: a connection lost while checked out (mid-query or
    // mid-transaction) emitted an unhandled 'error' event. The query itself still fails.
    pool.on("connect", (client) => {
      client.on("error", onError);
      // The Neon driver's socket batches its writes itself (neonConfig.coalesceWrites).
      if (driver === "pg" && client.connection?.stream) corkWrites(client.connection.stream);
      if (named) nameStatements(client);
    });
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
