import { z } from "@hono/zod-openapi";
import type { App } from "@/platform/api-app";
import { protectedRoute } from "@/platform/auth";
import { jsonContent } from "@/platform/openapi";
import { ticketStats } from "./stats-service";

const counts = z.object({ open: z.number(), pending: z.number(), resolved: z.number(), closed: z.number() });
const compliance = z.object({
  met: z.number().int(),
  breached: z.number().int(),
  rate: z.number().nullable().openapi({ description: "met / (met + breached); null without data" }),
});

const MEDIAN =
  "Approximate: within 1% of the exact median (within a second below a minute), in whole seconds; null without data. " +
  "Computed from per-day histograms of the durations, so any window costs about the same.";

const statsSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    byStatus: counts,
    byQueue: z.array(counts.extend({ queueId: z.string().nullable() })),
    byAgent: z.array(z.object({ agentId: z.string(), open: z.number(), pending: z.number(), resolved: z.number() })),
    firstResponseMedianSeconds: z.number().nullable().openapi({ description: MEDIAN }),
    resolutionMedianSeconds: z.number().nullable().openapi({ description: MEDIAN }),
    sla: z.object({
      firstResponse: compliance,
      resolution: compliance,
      nextResponse: compliance.openapi({
        description:
          "Tickets where a customer waited after a reply: breached when the SLA sweep recorded a breach of a wait, " +
          "met when none was and no wait is running (as GET /api/sla/report counts them).",
      }),
    }),
  })
  .openapi("TicketStats");

const route = protectedRoute({
  method: "get",
  path: "/api/tickets/stats",
  tags: ["tickets"],
  summary: "Ticket counts, response and resolution medians, SLA compliance",
  description:
    "Over tickets created in [from, to) (default: the last 30 days), as they are now. Counts and SLA figures are exact; " +
    "the medians are approximate (within 1%). Read from rollups kept by every ticket change, plus the tickets of the " +
    "partial days at the window's ends.",
  roles: ["admin", "supervisor"],
  request: {
    query: z.object({ from: z.iso.datetime().optional(), to: z.iso.datetime().optional() }),
  },
  responses: { 200: jsonContent(statsSchema, "Statistics.") },
});

export function registerTicketStats(app: App) {
  app.openapi(route, async (c) => {
    const stats = await ticketStats(c.var.services.db, c.var.principal.organizationId, c.req.valid("query"));
    return c.json(stats, 200);
  });
}
