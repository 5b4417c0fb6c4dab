import { z } from "@hono/zod-openapi";
import type { App } from "@/platform/api-app";
import { audit } from "@/platform/audit";
import { protectedRoute } from "@/platform/auth";
import { idParam, jsonBody, jsonContent } from "@/platform/openapi";
import { forgetPolicy } from "./policy";
import { writeQueueSlack } from "./queue-slack";
import { slaCompliance } from "./report";
import { reportQuery, reportSchema, slaSettingsSchema } from "./schemas";
import { readSlaSettings, writeSlaSettings } from "./settings";

const routes = {
  getSettings: protectedRoute({
    method: "get",
    path: "/api/sla/settings",
    tags: ["sla"],
    summary: "The organization's opening hours and daily summary",
    roles: ["admin", "supervisor"],
    responses: { 200: jsonContent(slaSettingsSchema, "The settings.") },
  }),
  putSettings: protectedRoute({
    method: "put",
    path: "/api/sla/settings",
    tags: ["sla"],
    summary: "Set the organization's opening hours and daily summary",
    description:
      "Queues whose policy counts only business hours (`slaOnlyDuringBusinessHours`) use their own `businessHours`, else these. New due times follow at once; running clocks keep theirs.",
    roles: ["admin"],
    request: { body: jsonBody(slaSettingsSchema) },
    responses: { 200: jsonContent(slaSettingsSchema, "The settings.") },
  }),
  report: protectedRoute({
    method: "get",
    path: "/api/sla/report",
    tags: ["sla"],
    summary: "SLA compliance (met, breached, pending) per kind, by queue, agent or day",
    description:
      "Over the tickets created in [from, to). A ticket breached a kind when a breach of it was recorded (any reopen cycle, any next-response wait); met it when that target settled without one; pending otherwise.",
    roles: ["admin", "supervisor"],
    request: { query: reportQuery },
    responses: { 200: jsonContent(reportSchema, "Compliance.") },
  }),
  putQueueSlack: protectedRoute({
    method: "put",
    path: "/api/queues/{id}/slack",
    tags: ["queues"],
    summary: "Send the queue's SLA alerts to its own Slack incoming webhook (stored encrypted)",
    roles: ["admin"],
    request: {
      params: idParam,
      body: jsonBody(z.object({ webhookUrl: z.url({ protocol: /^https?$/ }).max(2000) })),
    },
    responses: { 204: { description: "Set; the URL is never shown again." } },
  }),
  deleteQueueSlack: protectedRoute({
    method: "delete",
    path: "/api/queues/{id}/slack",
    tags: ["queues"],
    summary: "Send the queue's SLA alerts to the organization's Slack again",
    roles: ["admin"],
    request: { params: idParam },
    responses: { 204: { description: "Removed." } },
  }),
};

export function registerSlaRoutes(app: App) {
  app.openapi(routes.getSettings, async (c) =>
    c.json(await readSlaSettings(c.var.services.db, c.var.principal.organizationId), 200),
  );

  app.openapi(routes.putSettings, async (c) => {
    const { db } = c.var.services;
    const principal = c.var.principal;
    const input = c.req.valid("json");
    await writeSlaSettings(db, principal.organizationId, input);
    forgetPolicy();
    await audit(db, {
      organizationId: principal.organizationId,
      actor: principal,
      action: "sla_settings.updated",
      metadata: { ...input },
    });
    return c.json(await readSlaSettings(db, principal.organizationId), 200);
  });

  app.openapi(routes.report, async (c) => {
    const query = c.req.valid("query");
    const to = query.to ? new Date(query.to) : new Date();
    const from = query.from ? new Date(query.from) : new Date(to.getTime() - 30 * 86_400_000);
    const timezone = query.timezone ?? "UTC";
    const report = await slaCompliance(
      c.var.services.db,
      c.var.principal.organizationId,
      { from, to },
      query.groupBy,
      timezone,
    );
    return c.json({ from: from.toISOString(), to: to.toISOString(), groupBy: query.groupBy, timezone, ...report }, 200);
  });

  app.openapi(routes.putQueueSlack, async (c) => {
    const { db, env } = c.var.services;
    const principal = c.var.principal;
    const { id } = c.req.valid("param");
    await writeQueueSlack(db, env, principal.organizationId, id, c.req.valid("json").webhookUrl);
    await audit(db, {
      organizationId: principal.organizationId,
      actor: principal,
      action: "queue.slack_set",
      targetType: "queue",
      targetId: id,
    });
    return c.body(null, 204);
  });

  app.openapi(routes.deleteQueueSlack, async (c) => {
    const { db, env } = c.var.services;
    const principal = c.var.principal;
    const { id } = c.req.valid("param");
    await writeQueueSlack(db, env, principal.organizationId, id, null);
    await audit(db, {
      organizationId: principal.organizationId,
      actor: principal,
      action: "queue.slack_removed",
      targetType: "queue",
      targetId: id,
    });
    return c.body(null, 204);
  });
}
