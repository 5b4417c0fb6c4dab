import { z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import { outbox } from "@/db/schema";
import { dispatch } from "@/jobs/dispatch";
import { enqueue } from "@/jobs/outbox";
import type { App } from "@/platform/api-app";
import { protectedRoute } from "@/platform/auth";
import { ApiError } from "@/platform/errors";
import { idParam, jsonContent } from "@/platform/openapi";
import { getTicket } from "@/tickets/service";
import { modelConnection } from "../model-access";
import { insightsJob } from "./enqueue";
import { insightsSchema, newestMessageId, readInsights } from "./store";

const answer = z
  .object({
    status: z.enum(["current", "queued"]).openapi({
      description:
        "current: the insights already read the ticket's newest message. queued: a ticket.insights job computes them.",
    }),
    jobId: z.string().nullable().openapi({ description: "The ticket.insights job (queued only)." }),
    insights: insightsSchema
      .nullable()
      .openapi({ description: "The insights stored now (the earlier ones, if any, while queued)." }),
  })
  .openapi("TicketInsightsRequest");

const route = protectedRoute({
  method: "post",
  path: "/api/tickets/{id}/insights",
  tags: ["ai"],
  summary: "Compute the ticket's insights (sentiment, intent, category, urgency, churn risk)",
  description:
    "Insights are also computed when a ticket is resolved. 200 when the stored insights already read the newest message; otherwise 202 and a `ticket.insights` job computes them (one model call), shown afterwards in `GET /api/tickets/{id}` as `insights`. 409 without model access or without messages.",
  request: { params: idParam },
  responses: {
    200: jsonContent(answer, "The insights are current."),
    202: jsonContent(answer, "Queued: the insights job will compute them."),
  },
});

export function registerTicketInsightsRoutes(app: App) {
  app.openapi(route, async (c) => {
    const services = c.var.services;
    const { db, env } = services;
    const organizationId = c.var.principal.organizationId;
    const ticket = await getTicket(db, organizationId, c.req.valid("param").id);
    if (!(await modelConnection(db, env, organizationId))) {
      throw new ApiError("CONFLICT", "AI is not configured: set OPENAI_API_KEY or PUT /api/integrations/openai.");
    }
    const last = await newestMessageId(db, ticket.id);
    if (!last) throw new ApiError("CONFLICT", "The ticket has no messages to read.");
    const stored = await readInsights(db, organizationId, ticket.id);
    if (stored?.lastMessageId === last)
      return c.json({ status: "current" as const, jobId: null, insights: stored }, 200);
    const job = insightsJob(ticket, "request", last);
    const queued = await enqueue(db, [job]);
    if (queued.length) services.waitUntil(dispatch(services, queued));
    // Asked twice before the job ran: the same job answers both.
    const [existing] = queued.length
      ? queued
      : await db
          .select({ id: outbox.id })
          .from(outbox)
          .where(and(eq(outbox.organizationId, organizationId), eq(outbox.dedupeKey, job.dedupeKey ?? "")));
    return c.json({ status: "queued" as const, jobId: existing?.id ?? null, insights: stored }, 202);
  });
}
