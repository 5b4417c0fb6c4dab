import { z } from "@hono/zod-openapi";
import { phone } from "@/contacts/schemas";
import { ticketStatuses } from "@/db/schema";
import { dispatch } from "@/jobs/dispatch";
import { fullView, listView, resourceView, revealQuery } from "@/pii/policy";
import type { App } from "@/platform/api-app";
import { protectedRoute } from "@/platform/auth";
import { idParam, jsonBody, jsonContent } from "@/platform/openapi";
import { decodeCursor, idCursor, pageQuery, pageSchema, toPage } from "@/platform/pagination";
import { openTicket } from "./create";
import { newTicket, presentTicket, ticketChanges, ticketDetailSchema, ticketSchema } from "./schemas";
import { listTickets, presentTicketOf, ticketDetail, updateTicket } from "./service";

const list = protectedRoute({
  method: "get",
  path: "/api/tickets",
  tags: ["tickets"],
  summary: "List tickets, newest first",
  description: "The contact's phone is masked unless `reveal=true` (admins and supervisors, audited).",
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
      reveal: revealQuery,
    }),
  },
  responses: { 200: jsonContent(pageSchema(ticketSchema, "TicketPage"), "A page of tickets.") },
});

const get = protectedRoute({
  method: "get",
  path: "/api/tickets/{id}",
  tags: ["tickets"],
  summary: "A ticket with its contact, last messages and history",
  request: { params: idParam },
  responses: {
    200: jsonContent(ticketDetailSchema, "The ticket."),
  },
});

const create = protectedRoute({
  method: "post",
  path: "/api/tickets",
  tags: ["tickets"],
  summary: "Open a ticket to start an outbound conversation",
  request: {
    body: jsonBody(newTicket),
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
    body: jsonBody(ticketChanges),
  },
  responses: { 200: jsonContent(ticketSchema, "The updated ticket.") },
});

export function registerTicketRoutes(app: App) {
  app.openapi(list, async (c) => {
    const { limit, cursor, reveal, ...filters } = c.req.valid("query");
    const after = decodeCursor(cursor, idCursor)?.id;
    const { db } = c.var.services;
    const pii = await listView(c, { name: "tickets", reveal, filters });
    const rows = await listTickets(db, c.var.principal.organizationId, filters, { limit, after });
    const page = toPage(
      rows,
      limit,
      (t) => ({ id: t.id }),
      (t) => presentTicket(t, { id: t.contactId, phone: t.contactPhone, name: t.contactName }, t.tagNames, pii),
    );
    return c.json(page, 200);
  });

  app.openapi(get, async (c) => {
    const { db } = c.var.services;
    const id = c.req.valid("param").id;
    return c.json(await ticketDetail(db, c.var.principal.organizationId, id, (ticket) => resourceView(c, ticket)), 200);
  });

  app.openapi(create, async (c) => {
    const services = c.var.services;
    const input = c.req.valid("json");
    const { ticket, jobs } = await openTicket(services.db, c.var.principal, input);
    if (jobs.length) services.waitUntil(dispatch(services, jobs));
    // A phone the caller has just sent comes back as sent.
    const pii = input.phone ? fullView : await resourceView(c, ticket);
    return c.json(await presentTicketOf(services.db, ticket, pii), 201);
  });

  app.openapi(update, async (c) => {
    const { db } = c.var.services;
    const ticket = await updateTicket(db, c.var.principal, c.req.valid("param").id, c.req.valid("json"));
    return c.json(await presentTicketOf(db, ticket, await resourceView(c, ticket)), 200);
  });
}
