import type { Database, DatabaseHandle } from "./db";
import type { Bindings, Env } from "./env";
import type { Logger } from "./logger";

/** Per-request dependencies, created lazily from the bindings and handed to domain code. */
export type Services = {
  env: Env;
  /** The raw bindings and context of this invocation, for handing work to another function in-process. */
  bindings: Bindings;
  ctx: { waitUntil(promise: Promise<unknown>): void };
  log: Logger;
  requestId: string;
  readonly db: Database;
  database: DatabaseHandle;
  waitUntil(promise: Promise<unknown>): void;
  now(): Date;
};
