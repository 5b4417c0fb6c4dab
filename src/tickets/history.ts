import type { SQL } from "drizzle-orm";
import type { PgInsertValue } from "drizzle-orm/pg-core";
import { type ActorType, type TicketHistoryAction, ticketHistory } from "@/db/schema";
import type { Executor } from "@/platform/db";
import type { Principal } from "@/platform/principal";

export type Actor = { type: ActorType; id?: string | null };

export const systemActor: Actor = { type: "system" };

export function actorOf(principal: Principal): Actor {
  return { type: principal.type, id: principal.id };
}

/** The fields that changed between two versions of a row, as {field: {before, after}}. */
export function diff<T extends Record<string, unknown>>(before: T, after: Partial<T>, fields: (keyof T & string)[]) {
  const changes: Record<string, { before: unknown; after: unknown }> = {};
  for (const field of fields) {
    if (!(field in after)) continue;
    const a = before[field] instanceof Date ? (before[field] as Date).toISOString() : before[field];
    const b = after[field] instanceof Date ? (after[field] as Date).toISOString() : after[field];
    if (JSON.stringify(a) !== JSON.stringify(b)) changes[field] = { before: a ?? null, after: b ?? null };
  }
  return changes;
}

export type HistoryEntry = {
  organizationId: string;
  ticketId: string;
  actor: Actor;
  action: TicketHistoryAction;
  changes?: Record<string, { before: unknown; after: unknown }>;
};

/** An entry's row; the actor's id may be SQL for a statement that writes it (insertSelect). */
export function historyRow(entry: HistoryEntry, actorId?: SQL): PgInsertValue<typeof ticketHistory> {
  return {
    organizationId: entry.organizationId,
    ticketId: entry.ticketId,
    actorType: entry.actor.type,
    actorId: actorId ?? entry.actor.id ?? null,
    action: entry.action,
    changes: entry.changes ?? {},
  };
}

/** Every ticket change writes one of these, in the transaction that made the change. */
export async function recordHistory(db: Executor, entries: HistoryEntry | HistoryEntry[]): Promise<void> {
  const rows = (Array.isArray(entries) ? entries : [entries]).map((entry) => historyRow(entry));
  if (rows.length > 0) await db.insert(ticketHistory).values(rows);
}
