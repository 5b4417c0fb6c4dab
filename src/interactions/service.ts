// One timeline of everything the organization exchanged with its customers (seed 004's
// interactions): every message, inbound and outbound, and every call, newest first, with the raw
// provider events behind each on the detail. Messages and calls are read by two keyset queries,
// each on its own (organization, created_at) index, and merged; nothing is copied into a new table.
import { type AnyColumn, and, asc, desc, eq, inArray, sql } from "drizzle-orm";
import { callEvents, calls, contacts, interactionEvents, type MessageDirection, messages } from "@/db/schema";
import type { Executor } from "@/platform/db";
import { ApiError } from "@/platform/errors";

export type InteractionType = "message" | "call";

export type InteractionFilters = {
  type?: InteractionType;
  channelId?: string;
  direction?: MessageDirection;
  contactId?: string;
  from?: string;
  to?: string;
};

/** Position after the last row of a page: its time to the microsecond (as text, so no precision is lost) and id. */
export type InteractionCursor = { at: string; id: string };

export type InteractionRow = {
  type: InteractionType;
  id: string;
  /** `created_at` to the microsecond, UTC, for the cursor. */
  at: string;
  occurredAt: Date;
  channelId: string | null;
  direction: MessageDirection;
  messageType: string | null;
  status: string;
  contactId: string | null;
  ticketId: string | null;
  fromNumber: string | null;
  toNumber: string | null;
  durationSeconds: number | null;
};

const microseconds = (column: AnyColumn) =>
  sql<string>`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

function window(
  table: typeof messages | typeof calls,
  organizationId: string,
  f: InteractionFilters,
  cursor?: InteractionCursor,
) {
  return [
    eq(table.organizationId, organizationId),
    f.channelId ? eq(table.channelId, f.channelId) : undefined,
    f.direction ? eq(table.direction, f.direction) : undefined,
    f.contactId ? eq(table.contactId, f.contactId) : undefined,
    f.from ? sql`${table.createdAt} >= ${f.from}::timestamptz` : undefined,
    // Inclusive to the millisecond: the API shows milliseconds, the column keeps microseconds.
    f.to ? sql`${table.createdAt} < ${f.to}::timestamptz + interval '1 millisecond'` : undefined,
    cursor ? sql`(${table.createdAt}, ${table.id}) < (${cursor.at}::timestamptz, ${cursor.id}::uuid)` : undefined,
  ];
}

/** A page (`limit + 1` rows at most, to tell whether there is more) of the organization's interactions. */
export async function listInteractions(
  db: Executor,
  organizationId: string,
  filters: InteractionFilters,
  page: { limit: number; cursor?: InteractionCursor },
): Promise<InteractionRow[]> {
  const take = page.limit + 1;
  const [messageRows, callRows] = await Promise.all([
    filters.type === "call"
      ? []
      : db
          .select({
            id: messages.id,
            at: microseconds(messages.createdAt),
            occurredAt: messages.createdAt,
            channelId: messages.channelId,
            direction: messages.direction,
            messageType: messages.type,
            status: messages.status,
            contactId: messages.contactId,
            ticketId: messages.ticketId,
          })
          .from(messages)
          .where(and(...window(messages, organizationId, filters, page.cursor)))
          .orderBy(desc(messages.createdAt), desc(messages.id))
          .limit(take),
    filters.type === "message"
      ? []
      : db
          .select({
            id: calls.id,
            at: microseconds(calls.createdAt),
            occurredAt: calls.createdAt,
            channelId: calls.channelId,
            direction: calls.direction,
            status: calls.status,
            contactId: calls.contactId,
            ticketId: calls.ticketId,
            fromNumber: calls.fromNumber,
            toNumber: calls.toNumber,
            durationSeconds: calls.durationSeconds,
          })
          .from(calls)
          .where(and(...window(calls, organizationId, filters, page.cursor)))
          .orderBy(desc(calls.createdAt), desc(calls.id))
          .limit(take),
  ]);
  const rows: InteractionRow[] = [
    ...messageRows.map((m) => ({
      ...m,
      type: "message" as const,
      fromNumber: null,
      toNumber: null,
      durationSeconds: null,
    })),
    ...callRows.map((c) => ({ ...c, type: "call" as const, messageType: null })),
  ];
  // Newest first, ties by id, exactly as each query ordered its rows: the cursor stays valid for both.
  rows.sort((a, b) => (a.at === b.at ? (a.id < b.id ? 1 : -1) : a.at < b.at ? 1 : -1));
  return rows.slice(0, take);
}

/** The contacts a page names, by id. */
export async function contactsOf(db: Executor, organizationId: string, ids: string[]) {
  if (ids.length === 0) return new Map<string, { id: string; name: string | null; phone: string | null }>();
  const rows = await db
    .select({ id: contacts.id, name: contacts.name, phone: contacts.phone })
    .from(contacts)
    .where(and(eq(contacts.organizationId, organizationId), inArray(contacts.id, [...new Set(ids)])));
  return new Map(rows.map((r) => [r.id, r]));
}

export type InteractionEvent = {
  id: string;
  source: "interaction_event" | "call_event";
  kind: string;
  occurredAt: Date;
  payload: unknown;
  normalized: Record<string, unknown> | null;
};

/**
 * One interaction with the raw provider events behind it: for a message, the inbound event that
 * carried it and the delivery statuses the provider reported (interaction_events, matched by
 * channel and provider message id); for a call, every callback (call_events).
 */
export async function interactionDetail(db: Executor, organizationId: string, id: string) {
  const [message] = await db
    .select()
    .from(messages)
    .where(and(eq(messages.organizationId, organizationId), eq(messages.id, id)));
  if (message) {
    const events =
      message.channelId && message.providerMessageId
        ? await db
            .select()
            .from(interactionEvents)
            .where(
              and(
                eq(interactionEvents.organizationId, organizationId),
                eq(interactionEvents.channelId, message.channelId),
                sql`coalesce(${interactionEvents.reference}, ${interactionEvents.normalized} ->> 'providerMessageId') = ${message.providerMessageId}`,
              ),
            )
            .orderBy(asc(interactionEvents.receivedAt), asc(interactionEvents.id))
        : [];
    return {
      type: "message" as const,
      message,
      events: events.map(
        (e): InteractionEvent => ({
          id: e.id,
          source: "interaction_event",
          kind: e.eventType,
          occurredAt: e.receivedAt,
          payload: e.payload,
          normalized: e.normalized ?? null,
        }),
      ),
    };
  }
  const [call] = await db
    .select()
    .from(calls)
    .where(and(eq(calls.organizationId, organizationId), eq(calls.id, id)));
  if (!call) throw new ApiError("NOT_FOUND", "No such interaction in this organization.");
  const events = await db
    .select()
    .from(callEvents)
    .where(and(eq(callEvents.organizationId, organizationId), eq(callEvents.callId, call.id)))
    .orderBy(asc(callEvents.occurredAt), asc(callEvents.id));
  return {
    type: "call" as const,
    call,
    events: events.map(
      (e): InteractionEvent => ({
        id: e.id,
        source: "call_event",
        kind: e.kind,
        occurredAt: e.occurredAt,
        payload: e.payload,
        normalized: null,
      }),
    ),
  };
}
