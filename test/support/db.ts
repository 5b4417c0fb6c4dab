// Direct database access from inside workerd, for seeding and for assertions on what was (not)
// stored. One pool per driver per test file: opening a pool per call cost a connection each.
// Workers bind sockets to the request that opened them, and every test of a file runs inside
// one runner request, so the pool lives exactly as long as the file (closed by ./file-setup.ts).
import { sql } from "drizzle-orm";
import { interactionEvents, messages, tickets } from "@/db/schema";
import { type Database, DatabaseHandle } from "@/platform/db";
import { parseEnv } from "@/platform/env";
import { createLogger } from "@/platform/logger";
import { type Driver, testEnv } from "./env";

const handles = new Map<Driver, DatabaseHandle>();

function handleFor(driver: Driver): DatabaseHandle {
  let handle = handles.get(driver);
  if (!handle) {
    handle = new DatabaseHandle(parseEnv(testEnv({}, driver)), createLogger("error"));
    handles.set(driver, handle);
  }
  return handle;
}

export async function withDb<T>(fn: (db: Database) => Promise<T>, driver: Driver = "pg"): Promise<T> {
  return fn(handleFor(driver).db);
}

/** Closes the file's pools; the next file opens its own. */
export async function closeDatabases(): Promise<void> {
  const open = [...handles.values()];
  handles.clear();
  await Promise.all(open.map((handle) => handle.close()));
}

/** What a channel has stored: raw events, tickets and messages. Refused webhooks leave all at 0. */
export const channelCounts = (channelId: string) =>
  withDb(async (db) => {
    const [row] = await db
      .select({
        events: sql<number>`(select count(*)::int from ${interactionEvents} where ${interactionEvents.channelId} = ${channelId})`,
        tickets: sql<number>`(select count(*)::int from ${tickets} where ${tickets.channelId} = ${channelId})`,
        messages: sql<number>`(select count(*)::int from ${messages} where ${messages.channelId} = ${channelId})`,
      })
      .from(sql`(select 1) as one`);
    return row;
  });
