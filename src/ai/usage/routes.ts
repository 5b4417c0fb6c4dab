import { z } from "@hono/zod-openapi";
import type { App } from "@/platform/api-app";
import { protectedRoute } from "@/platform/auth";
import { ApiError } from "@/platform/errors";
import { jsonContent, timestamp } from "@/platform/openapi";

import { groupings, usageGroups } from "./report";

const totals = z.object({
  calls: z.number().int(),
  promptTokens: z.number().int(),
  completionTokens: z.number().int(),
  audioSeconds: z.number().openapi({ description: "Seconds of audio transcribed." }),
  costUsd: z.number(),
});

const usageReport = z
  .object({
    from: timestamp,
    to: timestamp,
    groupBy: z.enum(groupings),
    total: totals,
    groups: z.array(totals.extend({ key: z.string() })),
  })
  .openapi("AiUsage");

const route = protectedRoute({
  method: "get",
  path: "/api/ai/usage",
  tags: ["ai"],
  summary: "Model calls, tokens and cost, grouped by day, model or purpose",
  roles: ["admin", "supervisor"],
  request: {
    query: z.object({
      from: z.iso
        .datetime({ offset: true })
        .optional()
        .openapi({ description: "Default: the start of this UTC month." }),
      to: z.iso.datetime({ offset: true }).optional().openapi({ description: "Exclusive. Default: now." }),
      groupBy: z.enum(groupings).default("day"),
    }),
  },
  responses: { 200: jsonContent(usageReport, "Totals for the period, and per group.") },
});

const monthStart = (now: Date) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));

export function registerAiUsageRoutes(app: App) {
  app.openapi(route, async (c) => {
    const { db, now } = c.var.services;
    const query = c.req.valid("query");
    const to = query.to ? new Date(query.to) : now();
    const from = query.from ? new Date(query.from) : monthStart(now());
    if (from >= to) throw new ApiError("BAD_REQUEST", "`from` must be before `to`.");
    const groups = await usageGroups(db, c.var.principal.organizationId, from, to, query.groupBy);
    const total = { calls: 0, promptTokens: 0, completionTokens: 0, audioSeconds: 0, costUsd: 0 };
    for (const g of groups) {
      total.calls += g.calls;
      total.promptTokens += g.promptTokens;
      total.completionTokens += g.completionTokens;
      total.audioSeconds += g.audioSeconds;
      total.costUsd += g.costUsd;
    }
    total.costUsd = Math.round(total.costUsd * 1e8) / 1e8;
    return c.json({ from: from.toISOString(), to: to.toISOString(), groupBy: query.groupBy, total, groups }, 200);
  });
}
