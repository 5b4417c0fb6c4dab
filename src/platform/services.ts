import type { Database, DatabaseHandle } from "./db";
import type { Env } from "./env";
import type { Logger } from "./logger";

/** Per-request dependencies, created lazily from the bindings and handed to domain code. */
export type Services = {
  env: Env;
  log: Logger;
  requestId: string;
  readonly db: Database;
  database: DatabaseHandle;
  waitUntil(promise: Promise<unknown>): void;
  now(): Date;
};
