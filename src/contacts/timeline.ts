import { z } from "@hono/zod-openapi";
import { and, desc, eq, type SQL, sql } from "drizzle-orm";
import { callSchema, presentCall } from "@/calls/schemas";
import { callAt } from "@/calls/service";
import { callPlacements, calls, contacts, interactionEvents, messages } from "@/db/schema";
import { customEventLabel } from "@/interactions/service";
import { listView, type PiiView, revealQuery } from "@/pii/policy";
import type { App } from "@/platform/api-app";
import { protectedRoute } from "@/platform/auth";
import { type Executor, inTurn } from "@/platform/db";
import { idParam, jsonContent, timestamp } from "@/platform/openapi";
import { decodeCursor, pageQuery, pageSchema, toPage } from "@/platform/pagination";
import { messageSchema, presentMessage } from "@/tickets/schemas";
import { getContact } from "./service";

const eventSchema = z
  .object({
    id: z.string(),
    name: z
      .string()
      .nullable()
      .openapi({ description: "The body's `event` field, else its `type`.", example: "deal.won" }),
    hookId: z.string().nullable(),
    hookName: z.string().nullable().openapi({ description: "The custom webhook's name when the event arrived." }),
    receivedAt: timestamp,
    payload: z.unknown().openapi({
      description: "The body as the external system sent it; phones and e-mails masked like the rest of the list.",
    }),
  })
  .openapi("TimelineEvent");

const itemSchema = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("message"), id: z.string(), at: timestamp, message: messageSchema }),
    z.object({ type: z.literal("call"), id: z.string(), at: timestamp, call: callSchema }),
    z.object({ type: z.literal("event"), id: z.string(), at: timestamp, event: eventSchema }),
  ])
  .openapi("TimelineItem");

const route = protectedRoute({
  method: "get",
  path: "/api/contacts/{id}/timeline",
  tags: ["contacts"],
  summary: "A contact's messages, calls and external events in one list, newest first",
  description:
    "Every message (on any ticket and channel), every call of the contact and every event an external system sent about it through a custom webhook, ordered by when it happened (a message's creation, a call's start, an event's receipt), newest first. Each item is typed `message`, `call` or `event`. Phones and e-mails are masked unless `reveal=true` (admins and supervisors, audited), as in the other lists.",
  request: { params: idParam, query: pageQuery.extend({ reveal: revealQuery }) },
  responses: { 200: jsonContent(pageSchema(itemSchema, "TimelinePage"), "A page of the timeline.") },
});

/** Cursors carry the instant to the microsecond (PostgreSQL's precision), so no row is skipped or repeated. */
const cursorSchema = z.object({ at: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/), id: z.uuid() });
const isoMicros = (at: SQL) => sql<string>`to_char(${at} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
const before = (at: SQL, id: SQL, cursor?: z.infer<typeof cursorSchema>) =>
  cursor ? sql`(${at}, ${id}) < (${cursor.at}::timestamptz, ${cursor.id}::uuid)` : undefined;

/**
 * The newest `limit + 1` of each kind after the cursor, merged: each query walks its own index
 * (messages_contact_idx, calls_contact_idx, interaction_events_contact_idx) and the page is the
 * newest of the three.
 */
async function timeline(
  db: Executor,
  organizationId: string,
  contactId: string,
  page: { limit: number; cursor?: z.infer<typeof cursorSchema> },
) {
  const messageAt = sql`${messages.createdAt}`;
  const eventAt = sql`${interactionEvents.receivedAt}`;
  const [messageRows, callRows, eventRows] = await inTurn(
    () =>
      db
        .select({ message: messages, at: isoMicros(messageAt) })
        .from(messages)
        .where(
          and(
            eq(messages.organizationId, organizationId),
            eq(messages.contactId, contactId),
            before(messageAt, sql`${messages.id}`, page.cursor),
          ),
        )
        .orderBy(desc(messages.createdAt), desc(messages.id))
        .limit(page.limit + 1),
    () =>
      db
        .select({
          call: calls,
          contact: { id: contacts.id, name: contacts.name, phone: contacts.phone },
          simulated: callPlacements.simulated,
          at: isoMicros(callAt),
        })
        .from(calls)
        .leftJoin(contacts, eq(contacts.id, calls.contactId))
        .leftJoin(callPlacements, eq(callPlacements.callId, calls.id))
        .where(
          and(
            eq(calls.organizationId, organizationId),
            eq(calls.contactId, contactId),
            before(callAt, sql`${calls.id}`, page.cursor),
          ),
        )
        .orderBy(desc(callAt), desc(calls.id))
        .limit(page.limit + 1),
    () =>
      db
        .select({
          id: interactionEvents.id,
          normalized: interactionEvents.normalized,
          payload: interactionEvents.payload,
          receivedAt: interactionEvents.receivedAt,
          at: isoMicros(eventAt),
        })
        .from(interactionEvents)
        .where(
          and(
            eq(interactionEvents.organizationId, organizationId),
            eq(interactionEvents.contactId, contactId),
            eq(interactionEvents.provider, "custom"),
            before(eventAt, sql`${interactionEvents.id}`, page.cursor),
          ),
        )
        .orderBy(desc(interactionEvents.receivedAt), desc(interactionEvents.id))
        .limit(page.limit + 1),
  );
  const items = [
    ...messageRows.map((r) => ({ kind: "message" as const, id: r.message.id, at: r.at, row: r })),
    ...callRows.map((r) => ({ kind: "call" as const, id: r.call.id, at: r.at, row: r })),
    ...eventRows.map((r) => ({ kind: "event" as const, id: r.id, at: r.at, row: r })),
  ];
  // ISO strings of one length and zone compare like the instants they name.
  items.sort((a, b) => (a.at === b.at ? (a.id < b.id ? 1 : -1) : a.at < b.at ? 1 : -1));
  return items.slice(0, page.limit + 1);
}

/** A custom webhook's event: what the hook recorded at receipt and the body, masked as the view asks. */
function presentEvent(
  row: { id: string; normalized: Record<string, unknown> | null; payload: unknown; receivedAt: Date },
  pii: PiiView,
): z.infer<typeof eventSchema> {
  return {
    id: row.id,
    ...customEventLabel(row.normalized),
    receivedAt: row.receivedAt.toISOString(),
    payload: pii.deep(row.payload),
  };
}

export function registerContactTimeline(app: App) {
  app.openapi(route, async (c) => {
    const { db } = c.var.services;
    const principal = c.var.principal;
    const { limit, cursor, reveal } = c.req.valid("query");
    const contact = await getContact(db, principal.organizationId, c.req.valid("param").id);
    const pii = await listView(c, { name: "contact_timeline", reveal, filters: { contactId: contact.id } });
    const items = await timeline(db, principal.organizationId, contact.id, {
      limit,
      cursor: decodeCursor(cursor, cursorSchema),
    });
    return c.json(
      toPage(
        items,
        limit,
        (item) => ({ at: item.at, id: item.id }),
        (item): z.infer<typeof itemSchema> => {
          const at = new Date(item.at).toISOString();
          switch (item.kind) {
            case "message":
              return { type: "message", id: item.id, at, message: presentMessage(item.row.message, pii) };
            case "call":
              return { type: "call", id: item.id, at, call: presentCall(item.row, pii) };
            case "event":
              return { type: "event", id: item.id, at, event: presentEvent(item.row, pii) };
          }
        },
      ),
      200,
    );
  });
}
