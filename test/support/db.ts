// Direct database access from inside workerd, for assertions on what was (not) stored.
import { sql } from "drizzle-orm";
import { interactionEvents, messages, tickets } from "@/db/schema";
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
