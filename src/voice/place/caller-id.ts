import { and, eq, inArray, sql } from "drizzle-orm";
import { callerIds } from "@/db/schema";
import type { Database } from "@/platform/db";

/**
 * The caller ID for a channel's next call: of its numbers, the one least recently used (never used
 * first, in the order of the channel's list), marked used in the same transaction. Every pick
 * locks all of the channel's rows, in one order, before it reads them, so concurrent picks queue
 * for a few milliseconds and each sees the one before it: two calls at once take different
 * numbers while another is free.
 */
export async function nextCallerId(
  db: Database,
  channel: { id: string; organizationId: string },
  numbers: readonly string[],
): Promise<string> {
  if (numbers.length === 0) throw new Error("a Twilio voice channel has at least one number");
  const rank = new Map(numbers.map((phone, i) => [phone, i]));
  return db.transaction(async (tx) => {
    await tx
      .insert(callerIds)
      .values(
        [...numbers].sort().map((phone) => ({ channelId: channel.id, phone, organizationId: channel.organizationId })),
      )
      .onConflictDoNothing();
    const channelRows = and(eq(callerIds.channelId, channel.id), inArray(callerIds.phone, [...numbers]));
    await tx
      .select({ phone: callerIds.phone })
      .from(callerIds)
      .where(channelRows)
      .orderBy(callerIds.phone)
      .for("update");
    // Read again once the locks are held: this statement sees the picks committed while it waited.
    const rows = await tx
      .select({ phone: callerIds.phone, lastUsedAt: callerIds.lastUsedAt })
      .from(callerIds)
      .where(channelRows)
      .orderBy(sql`${callerIds.lastUsedAt} asc nulls first`);
    const never = rows
      .filter((row) => row.lastUsedAt === null)
      .sort((a, b) => (rank.get(a.phone) ?? 0) - (rank.get(b.phone) ?? 0));
    const pick = never[0] ?? rows[0];
    if (!pick) throw new Error("caller ID rows vanished");
    // clock_timestamp, not now(): the moment of the pick, in the order the locks were taken.
    await tx
      .update(callerIds)
      .set({ lastUsedAt: sql`clock_timestamp()`, uses: sql`${callerIds.uses} + 1` })
      .where(and(eq(callerIds.channelId, channel.id), eq(callerIds.phone, pick.phone)));
    return pick.phone;
  });
}
