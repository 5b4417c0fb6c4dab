// One timeline of everything the organization exchanged with its customers (seed 004's
// interactions): every message, inbound and outbound, every call, and every event its own systems
// sent through a custom webhook, newest first, with the raw provider events behind each on the
// detail. Each kind is read by a keyset query on its own (organization, time) index, and the three
// are merged; nothing is copied into a new table.
import { type AnyColumn, and, asc, desc, eq, inArray, sql } from "drizzle-orm";
import { callEvents, calls, contacts, interactionEvents, type MessageDirection, messages } from "@/db/schema";
import { type Executor, inTurn } from "@/platform/db";
import { ApiError } from "@/platform/errors";

export const interactionTypes = ["message", "call", "event"] as const;
export type InteractionType = (typeof interactionTypes)[number];

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
  /** Custom webhook events only: the body's event name and the hook, as recorded at receipt. */
  event: CustomEventLabel | null;
};

export type CustomEventLabel = { name: string | null; hookId: string | null; hookName: string | null };

const textOf = (value: unknown) => (typeof value === "string" ? value : null);

/**
 * What a custom webhook recorded about its event when it arrived (interaction_events.normalized,
 * src/custom-webhooks/inbound.ts): the body's event name and the hook.
 */
export function customEventLabel(normalized: Record<string, unknown> | null): CustomEventLabel {
  return {
    name: textOf(normalized?.event),
    hookId: textOf(normalized?.hookId),
    hookName: textOf(normalized?.hookName),
  };
}

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

/** Custom webhook events (interaction_events_custom_idx): no channel, always inbound. */
function customEvents(
  db: Executor,
  organizationId: string,
  f: InteractionFilters,
  take: number,
  cursor?: InteractionCursor,
) {
  if ((f.type && f.type !== "event") || f.channelId || f.direction === "outbound") return [];
  const at = interactionEvents.receivedAt;
  return db
    .select({
      id: interactionEvents.id,
      at: microseconds(at),
      occurredAt: at,
      contactId: interactionEvents.contactId,
      normalized: interactionEvents.normalized,
    })
    .from(interactionEvents)
    .where(
      and(
        eq(interactionEvents.organizationId, organizationId),
        eq(interactionEvents.provider, "custom"),
        f.contactId ? eq(interactionEvents.contactId, f.contactId) : undefined,
        f.from ? sql`${at} >= ${f.from}::timestamptz` : undefined,
        f.to ? sql`${at} < ${f.to}::timestamptz + interval '1 millisecond'` : undefined,
        cursor ? sql`(${at}, ${interactionEvents.id}) < (${cursor.at}::timestamptz, ${cursor.id}::uuid)` : undefined,
      ),
    )
    .orderBy(desc(at), desc(interactionEvents.id))
    .limit(take);
}

/** A page (`limit + 1` rows at most, to tell whether there is more) of the organization's interactions. */
export async function listInteractions(
  db: Executor,
  organizationId: string,
  filters: InteractionFilters,
  page: { limit: number; cursor?: InteractionCursor },
): Promise<InteractionRow[]> {
  const take = page.limit + 1;
  const [messageRows, callRows, eventRows] = await inTurn(
    () =>
      filters.type === "call" || filters.type === "event"
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
    () =>
      filters.type === "message" || filters.type === "event"
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
    () => customEvents(db, organizationId, filters, take, page.cursor),
  );
  const rows: InteractionRow[] = [
    ...messageRows.map((m) => ({
      ...m,
      type: "message" as const,
      fromNumber: null,
      toNumber: null,
      durationSeconds: null,
      event: null,
    })),
    ...callRows.map((c) => ({ ...c, type: "call" as const, messageType: null, event: null })),
    ...eventRows.map((e) => ({
      id: e.id,
      at: e.at,
      occurredAt: e.occurredAt,
      type: "event" as const,
      channelId: null,
      direction: "inbound" as const,
      messageType: null,
      status: "received",
      contactId: e.contactId,
      ticketId: null,
      fromNumber: null,
      toNumber: null,
      durationSeconds: null,
      event: customEventLabel(e.normalized),
    })),
  ];
  // Newest first, ties by id, exactly as each query ordered its rows: the cursor stays valid for all.
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

const rawEvent = (e: typeof interactionEvents.$inferSelect): InteractionEvent => ({
  id: e.id,
  source: "interaction_event",
  kind: e.eventType,
  occurredAt: e.receivedAt,
  payload: e.payload,
  normalized: e.normalized ?? null,
});

/**
 * One interaction with the raw provider events behind it: for a message, the inbound event that
 * carried it and the delivery statuses the provider reported (interaction_events, matched by
 * channel and provider message id); for a call, every callback (call_events); for a custom
 * webhook's event, itself.
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
    return { type: "message" as const, message, events: events.map(rawEvent) };
  }
  const [call] = await db
    .select()
    .from(calls)
    .where(and(eq(calls.organizationId, organizationId), eq(calls.id, id)));
  if (!call) {
    const [custom] = await db
      .select()
      .from(interactionEvents)
      .where(
        and(
          eq(interactionEvents.organizationId, organizationId),
          eq(interactionEvents.provider, "custom"),
          eq(interactionEvents.id, id),
        ),
      );
    if (!custom) throw new ApiError("NOT_FOUND", "No such interaction in this organization.");
    // A custom webhook's event is its own raw event.
    return { type: "event" as const, event: custom, events: [rawEvent(custom)] };
  }
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
