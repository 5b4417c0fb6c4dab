// Direct database access from inside workerd, for assertions on what was (not) stored.
import { type Database, DatabaseHandle } from "@/platform/db";
import { parseEnv } from "@/platform/env";
import { createLogger } from "@/platform/logger";
import { type Driver, testEnv } from "./env";

export async function withDb<T>(fn: (db: Database) => Promise<T>, driver: Driver = "pg"): Promise<T> {
  const handle = new DatabaseHandle(parseEnv(testEnv({}, driver)), createLogger("error"));
  try {
    return await fn(handle.db);
  } finally {
    await handle.close();
  }
}
