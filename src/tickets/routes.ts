import { z } from "@hono/zod-openapi";
import { and, desc, eq, sql } from "drizzle-orm";
import { assignJob } from "@/assignment/enqueue";
import { phone } from "@/contacts/schemas";
import { channels, contacts, messages, ticketHistory, ticketPriorities, ticketStatuses } from "@/db/schema";
import { createTicket } from "@/inbox/tickets";
import { dispatch } from "@/jobs/dispatch";
import { enqueue, type OutboxRow } from "@/jobs/outbox";
import type { App } from "@/platform/api-app";
import { protectedRoute } from "@/platform/auth";
import { ApiError } from "@/platform/errors";
import { idParam, jsonBody, jsonContent, timestamp } from "@/platform/openapi";
import { decodeCursor, idCursor, pageQuery, pageSchema, toPage } from "@/platform/pagination";
import { getQueue } from "@/queues/service";
import { actorOf } from "./history";
import { messageSchema, presentMessage, ticketSchema } from "./schemas";
import { changeTicket, getTicket, listTickets, presentTicketOf, presentTickets, setTicketTags } from "./service";

const list = protectedRoute({
  method: "get",
  path: "/api/tickets",
  tags: ["tickets"],
  summary: "List tickets, newest first",
  request: {
    query: pageQuery.extend({
      status: z
        .string()
        .optional()
        .transform((v) => (v ? v.split(",") : undefined))
        .pipe(z.array(z.enum(ticketStatuses)).optional())
        .openapi({ description: "Comma-separated: open,pending,resolved,closed", type: "string" }),
      queueId: z.uuid().optional(),
      assigneeId: z
        .union([z.uuid(), z.literal("none")])
        .optional()
        .openapi({ description: "An agent id, or `none` for unassigned." }),
      channelId: z.uuid().optional(),
      contactId: z.uuid().optional(),
      contactPhone: phone.optional().openapi({ description: "E.164 (other formats are normalized)", type: "string" }),
      tag: z.string().max(100).optional(),
      q: z
        .string()
        .min(1)
        .max(200)
        .optional()
        .openapi({ description: "Text in the subject, the contact or the messages." }),
    }),
  },
  responses: { 200: jsonContent(pageSchema(ticketSchema, "TicketPage"), "A page of tickets.") },
});

const historySchema = z.object({
  id: z.string(),
  action: z.string(),
  actorType: z.string(),
  actorId: z.string().nullable(),
  changes: z.record(z.string(), z.object({ before: z.unknown(), after: z.unknown() })),
  createdAt: timestamp,
});

const get = protectedRoute({
  method: "get",
  path: "/api/tickets/{id}",
  tags: ["tickets"],
  summary: "A ticket with its contact, last messages and history",
  request: { params: idParam },
  responses: {
    200: jsonContent(
      ticketSchema
        .extend({ lastMessages: z.array(messageSchema), history: z.array(historySchema) })
        .openapi("TicketDetail"),
      "The ticket.",
    ),
  },
});

const create = protectedRoute({
  method: "post",
  path: "/api/tickets",
  tags: ["tickets"],
  summary: "Open a ticket to start an outbound conversation",
  request: {
    body: jsonBody(
      z
        .object({
          channelId: z.uuid(),
          contactId: z.uuid().optional(),
          phone: phone.optional().openapi({ type: "string", description: "Creates the contact if it does not exist." }),
          name: z.string().max(200).optional(),
          subject: z.string().max(300).optional(),
          priority: z.enum(ticketPriorities).optional(),
          queueId: z.uuid().optional(),
        })
        .refine((v) => v.contactId || v.phone, "send contactId or phone"),
    ),
  },
  responses: { 201: jsonContent(ticketSchema, "The new ticket.") },
});

const update = protectedRoute({
  method: "patch",
  path: "/api/tickets/{id}",
  tags: ["tickets"],
  summary: "Change priority, subject, tags, or move between open and pending",
  request: {
    params: idParam,
    body: jsonBody(
      z
        .object({
          priority: z.enum(ticketPriorities),
          subject: z.string().max(300).nullable(),
          tags: z.array(z.string().min(1).max(100)).max(50),
          status: z.enum(["open", "pending"]),
        })
        .partial()
        .refine((v) => Object.keys(v).length > 0, "send at least one field"),
    ),
  },
  responses: { 200: jsonContent(ticketSchema, "The updated ticket.") },
});

export function registerTicketRoutes(app: App) {
  app.openapi(list, async (c) => {
    const { limit, cursor, ...filters } = c.req.valid("query");
    const after = decodeCursor(cursor, idCursor)?.id;
    const { db } = c.var.services;
    const rows = await listTickets(db, c.var.principal.organizationId, filters, { limit, after });
    const page = toPage(
      rows,
      limit,
      (t) => ({ id: t.id }),
      (t) => t,
    );
    return c.json({ data: await presentTickets(db, page.data), nextCursor: page.nextCursor }, 200);
  });

  app.openapi(get, async (c) => {
    const { db } = c.var.services;
    const ticket = await getTicket(db, c.var.principal.organizationId, c.req.valid("param").id);
    const [presented, recent, history] = await Promise.all([
      presentTicketOf(db, ticket),
      db.select().from(messages).where(eq(messages.ticketId, ticket.id)).orderBy(desc(messages.id)).limit(20),
      db.select().from(ticketHistory).where(eq(ticketHistory.ticketId, ticket.id)).orderBy(ticketHistory.id),
    ]);
    return c.json(
      {
        ...presented,
        lastMessages: recent.reverse().map(presentMessage),
        history: history.map((h) => ({
          id: h.id,
          action: h.action,
          actorType: h.actorType,
          actorId: h.actorId,
          changes: h.changes,
          createdAt: h.createdAt.toISOString(),
        })),
      },
      200,
    );
  });

  app.openapi(create, async (c) => {
    const { db } = c.var.services;
    const principal = c.var.principal;
    const organizationId = principal.organizationId;
    const input = c.req.valid("json");
    let jobs: OutboxRow[] = [];
    const ticket = await db.transaction(async (tx) => {
      const [channel] = await tx
        .select()
        .from(channels)
        .where(and(eq(channels.organizationId, organizationId), eq(channels.id, input.channelId)));
      if (!channel) throw new ApiError("NOT_FOUND", "No such channel in this organization.");
      if (input.queueId) await getQueue(tx, organizationId, input.queueId);
      let contactId = input.contactId;
      if (contactId) {
        const [contact] = await tx
          .select({ id: contacts.id })
          .from(contacts)
          .where(and(eq(contacts.organizationId, organizationId), eq(contacts.id, contactId)));
        if (!contact) throw new ApiError("NOT_FOUND", "No such contact in this organization.");
      } else if (input.phone) {
        const [contact] = await tx
          .insert(contacts)
          .values({ organizationId, phone: input.phone, name: input.name ?? null })
          .onConflictDoUpdate({
            target: [contacts.organizationId, contacts.phone],
            targetWhere: sql`${contacts.phone} is not null and ${contacts.mergedIntoId} is null`,
            set: { updatedAt: new Date() },
          })
          .returning({ id: contacts.id });
        contactId = contact?.id;
      }
      if (!contactId) throw new ApiError("BAD_REQUEST", "send contactId or phone");
      const created = await createTicket(tx, {
        organizationId,
        contactId,
        channelId: channel.id,
        queueId: input.queueId ?? channel.queueId,
        subject: input.subject,
        priority: input.priority,
        actor: actorOf(principal),
        at: new Date(),
      });
      if (!created) throw new ApiError("CONFLICT", "The contact already has an open ticket on this channel.");
      jobs = await enqueue(tx, [assignJob(organizationId, created.id)]);
      return created;
    });
    if (jobs.length) c.var.services.waitUntil(dispatch(c.var.services, jobs));
    return c.json(await presentTicketOf(db, ticket), 201);
  });

  app.openapi(update, async (c) => {
    const { db } = c.var.services;
    const principal = c.var.principal;
    const { tags: tagNames, ...changes } = c.req.valid("json");
    const ticket = await db.transaction(async (tx) => {
      let t = await getTicket(tx, principal.organizationId, c.req.valid("param").id, true);
      if (changes.status && !["open", "pending"].includes(t.status)) {
        throw new ApiError("CONFLICT", `A ${t.status} ticket is reopened with POST /api/tickets/{id}/reopen.`);
      }
      t = await changeTicket(tx, t, changes, actorOf(principal), "updated");
      if (tagNames) await setTicketTags(tx, t, tagNames, actorOf(principal));
      return t;
    });
    return c.json(await presentTicketOf(db, ticket), 200);
  });
}
