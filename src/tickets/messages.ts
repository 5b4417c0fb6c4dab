import { z } from "@hono/zod-openapi";
import { dispatch } from "@/jobs/dispatch";
import type { OutboxRow } from "@/jobs/outbox";
import { queueOutbound } from "@/outbound/queue";
import { fullView, listView, revealQuery } from "@/pii/policy";
import type { App } from "@/platform/api-app";
import { protectedRoute } from "@/platform/auth";
import { idempotent } from "@/platform/idempotency";
import { idParam, jsonBody, jsonContent } from "@/platform/openapi";
import { decodeCursor, idCursor, pageQuery, pageSchema, toPage } from "@/platform/pagination";
import { messageSchema, presentMessage } from "./schemas";
import { getTicket, listMessages } from "./service";

const outboundBody = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("text"), text: z.string().trim().min(1).max(4096) }),
    z.object({
      type: z.literal("media"),
      mediaUrl: z.url({ protocol: /^https?$/ }),
      mediaType: z.enum(["image", "audio", "video", "document"]),
      caption: z.string().max(1024).optional(),
    }),
    z.object({
      type: z.literal("template"),
      template: z.object({
        name: z.string().min(1).max(512),
        language: z.string().min(2).max(15).openapi({ example: "pt_BR" }),
        variables: z.array(z.string().max(1024)).max(20).optional(),
      }),
    }),
  ])
  .openapi("OutboundMessage");

const list = protectedRoute({
  method: "get",
  path: "/api/tickets/{id}/messages",
  tags: ["messages"],
  summary: "A ticket's messages",
  description:
    "Phones and e-mails of contact cards the customer shared are masked unless `reveal=true` (admins and supervisors, audited).",
  request: {
    params: idParam,
    query: pageQuery.extend({
      order: z.enum(["asc", "desc"]).default("desc").openapi({ description: "desc: newest first" }),
      reveal: revealQuery,
    }),
  },
  responses: { 200: jsonContent(pageSchema(messageSchema, "MessagePage"), "A page of messages.") },
});

const send = protectedRoute({
  method: "post",
  path: "/api/tickets/{id}/messages",
  tags: ["messages"],
  summary: "Reply on the ticket's channel",
  description:
    "Answers 202 with the message `queued`; a job sends it. Send `Idempotency-Key` to make retries safe: the same key and body within 24 h replay the first answer. Outside WhatsApp's 24-hour window only templates are accepted (409).",
  request: {
    params: idParam,
    headers: z.object({ "idempotency-key": z.string().max(255).optional() }),
    body: jsonBody(outboundBody),
  },
  responses: { 202: jsonContent(messageSchema, "Queued for sending.") },
});

export function registerMessageRoutes(app: App) {
  app.openapi(list, async (c) => {
    const { db } = c.var.services;
    const { limit, cursor, order, reveal } = c.req.valid("query");
    const ticket = await getTicket(db, c.var.principal.organizationId, c.req.valid("param").id);
    const after = decodeCursor(cursor, idCursor)?.id;
    const pii = await listView(c, { name: "ticket_messages", reveal, filters: { ticketId: ticket.id } });
    const rows = await listMessages(db, ticket, { limit, after, order });
    return c.json(
      toPage(
        rows,
        limit,
        (m) => ({ id: m.id }),
        (m) => presentMessage(m, pii),
      ),
      200,
    );
  });

  app.openapi(send, async (c) => {
    const services = c.var.services;
    const body = c.req.valid("json");
    const ticketId = c.req.valid("param").id;
    let jobs: OutboxRow[] = [];
    const { result, replayed } = await idempotent(c, { ticketId, body }, async (tx) => {
      const queued = await queueOutbound(tx, services.env, c.var.principal, ticketId, body);
      jobs = queued.jobs;
      // Outbound: the team's own text, never a customer's contact card.
      return { status: 202, body: presentMessage(queued.message, fullView) };
    });
    if (jobs.length) services.waitUntil(dispatch(services, jobs));
    if (replayed) c.header("idempotent-replayed", "true");
    return c.json(result.body, 202);
  });
}
