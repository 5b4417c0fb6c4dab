import { z } from "@hono/zod-openapi";
import { messageDirections } from "@/db/schema";
import { listView, resourceView, revealQuery } from "@/pii/policy";
import type { App } from "@/platform/api-app";
import { protectedRoute } from "@/platform/auth";
import { idParam, jsonContent, timestamp } from "@/platform/openapi";
import { decodeCursor, pageQuery, pageSchema, toPage } from "@/platform/pagination";
import { contactsOf, customEventLabel, interactionDetail, interactionTypes, listInteractions } from "./service";

const interactionSchema = z
  .object({
    id: z.string().openapi({ description: "The message's, the call's or the custom webhook event's id." }),
    type: z.enum(interactionTypes).openapi({
      description:
        "`event`: what the organization's own systems sent through a custom webhook (always inbound, no channel).",
    }),
    channelId: z.string().nullable(),
    direction: z.enum(messageDirections),
    messageType: z.string().nullable().openapi({ description: "text, audio, image, template... (messages only)." }),
    status: z.string(),
    contact: z.object({ id: z.string(), name: z.string().nullable(), phone: z.string().nullable() }).nullable(),
    ticketId: z.string().nullable(),
    fromNumber: z.string().nullable().openapi({ description: "Calls only; masked like every phone in a list." }),
    toNumber: z.string().nullable(),
    durationSeconds: z.number().int().nullable(),
    event: z
      .object({
        name: z.string().nullable().openapi({ description: "The body's `event` field, else its `type`." }),
        hookId: z.string().nullable(),
        hookName: z.string().nullable(),
      })
      .nullable()
      .openapi({ description: "Custom webhook events only." }),
    occurredAt: timestamp,
  })
  .openapi("Interaction");

const eventSchema = z.object({
  id: z.string(),
  source: z.enum(["interaction_event", "call_event"]).openapi({
    description: "interaction_event: a messaging or custom webhook's event; call_event: a call callback.",
  }),
  kind: z.string().openapi({ example: "message.text" }),
  occurredAt: timestamp,
  payload: z.unknown().openapi({ description: "What the provider sent, as it sent it." }),
  normalized: z.record(z.string(), z.unknown()).nullable(),
});

const detailSchema = interactionSchema
  .extend({
    text: z.string().nullable(),
    media: z.record(z.string(), z.unknown()).nullable(),
    content: z.record(z.string(), z.unknown()).nullable(),
    transcript: z.string().nullable(),
    providerId: z
      .string()
      .nullable()
      .openapi({ description: "The provider's message id or call id; a custom event's idempotency key." }),
    events: z.array(eventSchema),
  })
  .openapi("InteractionDetail");

const cursorSchema = z.object({ at: z.string().regex(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/), id: z.uuid() });

const list = protectedRoute({
  method: "get",
  path: "/api/interactions",
  tags: ["interactions"],
  summary: "Every message (inbound and outbound), call and custom webhook event of the organization, newest first",
  description:
    "One timeline across channels. Metadata only (the text, the provider's raw events and a custom event's body are on the detail); phones masked unless `reveal=true` (admins and supervisors, audited). Custom webhook events have no channel and are inbound: a `channelId` or `direction=outbound` filter leaves them out.",
  request: {
    query: pageQuery.extend({
      type: z.enum(interactionTypes).optional(),
      channelId: z.uuid().optional(),
      direction: z.enum(messageDirections).optional(),
      contactId: z.uuid().optional(),
      from: z.iso.datetime().optional().openapi({ description: "At or after this instant." }),
      to: z.iso.datetime().optional().openapi({ description: "At or before this instant." }),
      reveal: revealQuery,
    }),
  },
  responses: { 200: jsonContent(pageSchema(interactionSchema, "InteractionPage"), "A page of interactions.") },
});

const get = protectedRoute({
  method: "get",
  path: "/api/interactions/{id}",
  tags: ["interactions"],
  summary: "One message, call or custom webhook event with the raw events behind it",
  description:
    "A message: its content and the inbound event and delivery statuses its provider sent (interaction_events). A call: every callback (call_events). A custom webhook's event: its body as `content`, and itself as its one event. Phones and e-mails, in the raw payloads too, are in full for admins, supervisors and the agent the contact's ticket (or the call) is assigned to; masked for anyone else.",
  request: { params: idParam },
  responses: { 200: jsonContent(detailSchema, "The interaction.") },
});

export function registerInteractionRoutes(app: App) {
  app.openapi(list, async (c) => {
    const { limit, cursor, reveal, ...filters } = c.req.valid("query");
    const { db } = c.var.services;
    const { organizationId } = c.var.principal;
    const pii = await listView(c, { name: "interactions", reveal, filters });
    const rows = await listInteractions(db, organizationId, filters, {
      limit,
      cursor: decodeCursor(cursor, cursorSchema),
    });
    const people = await contactsOf(
      db,
      organizationId,
      rows.flatMap((r) => (r.contactId ? [r.contactId] : [])),
    );
    return c.json(
      toPage(
        rows,
        limit,
        (r) => ({ at: r.at, id: r.id }),
        (r) => {
          const contact = r.contactId ? people.get(r.contactId) : undefined;
          return {
            id: r.id,
            type: r.type,
            channelId: r.channelId,
            direction: r.direction,
            messageType: r.messageType,
            status: r.status,
            contact: contact ? { id: contact.id, name: contact.name, phone: pii.phone(contact.phone) } : null,
            ticketId: r.ticketId,
            fromNumber: pii.phone(r.fromNumber),
            toNumber: pii.phone(r.toNumber),
            durationSeconds: r.durationSeconds,
            event: r.event,
            occurredAt: r.occurredAt.toISOString(),
          };
        },
      ),
      200,
    );
  });

  app.openapi(get, async (c) => {
    const { db } = c.var.services;
    const { organizationId } = c.var.principal;
    const detail = await interactionDetail(db, organizationId, c.req.valid("param").id);
    const { contactId } =
      detail.type === "message" ? detail.message : detail.type === "call" ? detail.call : detail.event;
    const pii = await resourceView(c, {
      contactId,
      assigneeId: detail.type === "call" ? detail.call.agentId : null,
    });
    const contact = contactId ? (await contactsOf(db, organizationId, [contactId])).get(contactId) : null;
    const events = detail.events.map((e) => ({
      ...e,
      occurredAt: e.occurredAt.toISOString(),
      payload: pii.deep(e.payload),
      normalized: pii.deep(e.normalized),
    }));
    const person = contact ? { id: contact.id, name: contact.name, phone: pii.phone(contact.phone) } : null;
    if (detail.type === "event") {
      const e = detail.event;
      return c.json(
        {
          id: e.id,
          type: "event" as const,
          channelId: null,
          direction: "inbound" as const,
          messageType: null,
          status: "received",
          contact: person,
          ticketId: null,
          fromNumber: null,
          toNumber: null,
          durationSeconds: null,
          event: customEventLabel(e.normalized),
          occurredAt: e.receivedAt.toISOString(),
          events,
          text: null,
          media: null,
          content: pii.deep(e.payload as Record<string, unknown>),
          transcript: null,
          providerId: typeof e.normalized?.idempotencyKey === "string" ? e.normalized.idempotencyKey : null,
        },
        200,
      );
    }
    const row = detail.type === "message" ? detail.message : detail.call;
    const common = {
      id: row.id,
      type: detail.type,
      channelId: row.channelId,
      direction: row.direction,
      status: row.status,
      contact: person,
      ticketId: row.ticketId,
      event: null,
      occurredAt: row.createdAt.toISOString(),
      events,
    };
    if (detail.type === "message") {
      const m = detail.message;
      return c.json(
        {
          ...common,
          messageType: m.type,
          fromNumber: null,
          toNumber: null,
          durationSeconds: null,
          // Masked views mask what the customer wrote too: the raw payload below carries the same text.
          text: pii.deep(m.body),
          media: m.media ?? null,
          content: pii.deep(m.content ?? null),
          transcript: pii.deep(m.transcript),
          providerId: m.providerMessageId,
        },
        200,
      );
    }
    const call = detail.call;
    return c.json(
      {
        ...common,
        messageType: null,
        fromNumber: pii.phone(call.fromNumber),
        toNumber: pii.phone(call.toNumber),
        durationSeconds: call.durationSeconds,
        text: pii.deep(call.summary),
        media: call.recordingUrl ? { url: call.recordingUrl, durationSeconds: call.recordingDurationSeconds } : null,
        content: pii.deep(call.analysis ?? null),
        transcript: pii.deep(call.transcript),
        providerId: call.providerCallId,
      },
      200,
    );
  });
}
