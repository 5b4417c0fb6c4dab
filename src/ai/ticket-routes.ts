import { z } from "@hono/zod-openapi";
import { dispatch } from "@/jobs/dispatch";
import type { App } from "@/platform/api-app";
import { protectedRoute } from "@/platform/auth";
import { idParam, jsonBody, jsonContent, timestamp } from "@/platform/openapi";
import { setTicketAi, type TicketAi, ticketAi } from "./ticket-control";

const ticketAiSchema = z
  .object({
    ticketId: z.string(),
    enabled: z.boolean().openapi({ description: "Whether the bot answers this ticket." }),
    agentId: z.string().nullable().openapi({ description: "The AI agent that held the ticket last." }),
    coveringAgentId: z.string().nullable().openapi({ description: "The active AI agent on the ticket's channel." }),
    handedOffAt: timestamp.nullable(),
    handoffReason: z.string().nullable(),
  })
  .openapi("TicketAi");

const present = (ai: TicketAi): z.infer<typeof ticketAiSchema> => ({
  ...ai,
  handedOffAt: ai.handedOffAt?.toISOString() ?? null,
});

const get = protectedRoute({
  method: "get",
  path: "/api/tickets/{id}/ai",
  tags: ["ai"],
  summary: "Whether the bot answers this ticket",
  request: { params: idParam },
  responses: { 200: jsonContent(ticketAiSchema, "The bot's hold on the ticket.") },
});

const set = protectedRoute({
  method: "post",
  path: "/api/tickets/{id}/ai",
  tags: ["ai"],
  summary: "Hand the ticket back to the bot, or take it away from it",
  description:
    "`{enabled: true}` unassigns the ticket and lets the bot answer again (it answers the customer's last message if that is unanswered); `{enabled: false}` silences the bot on this ticket, also after resolve and reopen, and assigns it to people.",
  request: { params: idParam, body: jsonBody(z.object({ enabled: z.boolean() })) },
  responses: { 200: jsonContent(ticketAiSchema, "The bot's hold on the ticket.") },
});

export function registerTicketAiRoutes(app: App) {
  app.openapi(get, async (c) => {
    return c.json(
      present(await ticketAi(c.var.services.db, c.var.principal.organizationId, c.req.valid("param").id)),
      200,
    );
  });

  app.openapi(set, async (c) => {
    const services = c.var.services;
    const principal = c.var.principal;
    const id = c.req.valid("param").id;
    const { jobs } = await setTicketAi(services.db, services.env, principal, id, c.req.valid("json").enabled);
    if (jobs.length) services.waitUntil(dispatch(services, jobs));
    return c.json(present(await ticketAi(services.db, principal.organizationId, id)), 200);
  });
}
