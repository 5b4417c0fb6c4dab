import { z } from "@hono/zod-openapi";
import { auditFromContext } from "@/audit/context";
import { auditDiff } from "@/audit/diff";
import { webhookEventStatuses } from "@/db/schema";
import type { App } from "@/platform/api-app";
import { protectedRoute } from "@/platform/auth";
import { toBase64 } from "@/platform/crypto";
import { idParam, jsonContent, timestamp } from "@/platform/openapi";
import { decodeCursor, idCursor, pageQuery, pageSchema, toPage } from "@/platform/pagination";
import { getWebhookEvent, listWebhookEvents, replayWebhookEvent, type WebhookEventRow } from "./service";

const summarySchema = z
  .object({
    id: z.string(),
    channelId: z.string().nullable(),
    provider: z.string(),
    route: z.string().nullable(),
    status: z.enum(webhookEventStatuses),
    reason: z.string().nullable(),
    result: z.record(z.string(), z.unknown()).nullable(),
    replayCount: z.number().int(),
    replayedAt: timestamp.nullable(),
    receivedAt: timestamp,
  })
  .openapi("WebhookEvent");

const detailSchema = summarySchema
  .extend({
    contentType: z.string().nullable(),
    body: z.string().openapi({ description: "The body as UTF-8 text (invalid bytes shown as U+FFFD)." }),
    bodyBase64: z.string().openapi({ description: "The exact bytes the provider sent." }),
  })
  .openapi("WebhookEventDetail");

const present = (row: WebhookEventRow): z.infer<typeof summarySchema> => ({
  id: row.id,
  channelId: row.channelId,
  provider: row.provider,
  route: row.route,
  status: row.status,
  reason: row.reason,
  result: row.result,
  replayCount: row.replayCount,
  replayedAt: row.replayedAt?.toISOString() ?? null,
  receivedAt: row.receivedAt.toISOString(),
});

const presentDetail = (row: WebhookEventRow): z.infer<typeof detailSchema> => ({
  ...present(row),
  contentType: row.contentType,
  body: new TextDecoder().decode(row.body),
  bodyBase64: toBase64(row.body),
});

const list = protectedRoute({
  method: "get",
  path: "/api/webhook-events",
  tags: ["webhook events"],
  summary: "Verified webhook bodies and what became of them (?status=ignored|failed)",
  roles: ["admin"],
  request: {
    query: pageQuery.extend({
      status: z.enum(webhookEventStatuses).optional(),
      channelId: z.uuid().optional(),
    }),
  },
  responses: { 200: jsonContent(pageSchema(summarySchema, "WebhookEventPage"), "A page, newest first.") },
});

const one = protectedRoute({
  method: "get",
  path: "/api/webhook-events/{id}",
  tags: ["webhook events"],
  summary: "One webhook body, byte for byte",
  roles: ["admin"],
  request: { params: idParam },
  responses: { 200: jsonContent(detailSchema, "The webhook event with its body.") },
});

const replay = protectedRoute({
  method: "post",
  path: "/api/webhook-events/{id}/replay",
  tags: ["webhook events"],
  summary: "Process a kept body again (after a fix, or once its channel is active again)",
  roles: ["admin"],
  request: { params: idParam },
  responses: { 200: jsonContent(summarySchema, "The webhook event with its new outcome.") },
});

export function registerWebhookEventRoutes(app: App) {
  app.openapi(list, async (c) => {
    const { limit, cursor, status, channelId } = c.req.valid("query");
    const rows = await listWebhookEvents(c.var.services.db, c.var.principal.organizationId, {
      status,
      channelId,
      before: decodeCursor(cursor, idCursor)?.id,
      limit: limit + 1,
    });
    return c.json(
      toPage(rows, limit, (r) => ({ id: r.id }), present),
      200,
    );
  });

  app.openapi(one, async (c) => {
    const row = await getWebhookEvent(c.var.services.db, c.var.principal.organizationId, c.req.valid("param").id);
    return c.json(presentDetail(row), 200);
  });

  app.openapi(replay, async (c) => {
    const { services, principal } = c.var;
    const id = c.req.valid("param").id;
    const before = await getWebhookEvent(services.db, principal.organizationId, id);
    const row = await replayWebhookEvent(services, principal.organizationId, id);
    await auditFromContext(c, {
      action: "webhook_event.replayed",
      targetType: "webhook_event",
      targetId: id,
      diff: auditDiff({ status: before.status }, { status: row.status }),
      metadata: { provider: row.provider, channelId: row.channelId, replayCount: row.replayCount },
    });
    services.log.info("webhook event replayed", { webhookEventId: id, status: row.status });
    return c.json(present(row), 200);
  });
}
