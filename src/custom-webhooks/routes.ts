import { z } from "@hono/zod-openapi";
import type { App } from "@/platform/api-app";
import { audit } from "@/platform/audit";
import { protectedRoute } from "@/platform/auth";
import { idParam, jsonBody, jsonContent, timestamp } from "@/platform/openapi";
import { decodeCursor, idCursor, pageQuery, pageSchema, toPage } from "@/platform/pagination";
import {
  type CustomWebhookRow,
  createCustomWebhook,
  customWebhookUrl,
  deleteCustomWebhook,
  listCustomWebhooks,
  rotateCustomWebhook,
} from "./service";

const customWebhookSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    url: z
      .string()
      .openapi({ description: "Where the sender posts (PUBLIC_URL/webhooks/custom/{organizationId}/{id})." }),
    lastReceivedAt: timestamp.nullable(),
    rotatedAt: timestamp.nullable(),
    createdAt: timestamp,
  })
  .openapi("CustomWebhook");

const withSecret = customWebhookSchema
  .extend({
    secret: z.string().openapi({
      description:
        'The signing secret, shown this once. Sign `"<t>.<raw body>"` with HMAC-SHA256 and send `X-Switchboard-Signature: t=<unix seconds>,v1=<hex>`.',
    }),
  })
  .openapi("CustomWebhookWithSecret");

const routes = {
  create: protectedRoute({
    method: "post",
    path: "/api/custom-webhooks",
    tags: ["custom webhooks"],
    summary: "Create an inbound webhook (secret shown once)",
    description:
      "External systems (a CRM, a dialer) post JSON to the URL, signed with the secret; each body is stored once per idempotency key as an interaction event and sent on the organization's events webhook as `custom.received`.",
    roles: ["admin"],
    request: { body: jsonBody(z.object({ name: z.string().trim().min(1).max(100) })) },
    responses: { 201: jsonContent(withSecret, "The hook, its URL and its signing secret.") },
  }),
  list: protectedRoute({
    method: "get",
    path: "/api/custom-webhooks",
    tags: ["custom webhooks"],
    summary: "List inbound webhooks (without secrets)",
    roles: ["admin", "supervisor"],
    request: { query: pageQuery },
    responses: {
      200: jsonContent(pageSchema(customWebhookSchema, "CustomWebhookPage"), "A page of hooks, newest first."),
    },
  }),
  rotate: protectedRoute({
    method: "post",
    path: "/api/custom-webhooks/{id}/rotate",
    tags: ["custom webhooks"],
    summary: "Replace a hook's signing secret (shown once; the old one stops working)",
    roles: ["admin"],
    request: { params: idParam },
    responses: { 200: jsonContent(withSecret, "The hook with its new secret.") },
  }),
  remove: protectedRoute({
    method: "delete",
    path: "/api/custom-webhooks/{id}",
    tags: ["custom webhooks"],
    summary: "Delete an inbound webhook (what it received stays)",
    roles: ["admin"],
    request: { params: idParam },
    responses: { 204: { description: "Deleted." } },
  }),
};

function present(publicUrl: string, row: CustomWebhookRow): z.infer<typeof customWebhookSchema> {
  return {
    id: row.id,
    name: row.name,
    url: customWebhookUrl(publicUrl, row),
    lastReceivedAt: row.lastReceivedAt?.toISOString() ?? null,
    rotatedAt: row.rotatedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

export function registerCustomWebhookRoutes(app: App) {
  app.openapi(routes.create, async (c) => {
    const { db, env } = c.var.services;
    const principal = c.var.principal;
    const { row, secret } = await createCustomWebhook(db, env, principal.organizationId, c.req.valid("json").name);
    await audit(db, {
      organizationId: principal.organizationId,
      actor: principal,
      action: "custom_webhook.created",
      targetType: "custom_webhook",
      targetId: row.id,
    });
    return c.json({ ...present(env.PUBLIC_URL, row), secret }, 201);
  });

  app.openapi(routes.list, async (c) => {
    const { db, env } = c.var.services;
    const { limit, cursor } = c.req.valid("query");
    const after = decodeCursor(cursor, idCursor)?.id;
    const rows = await listCustomWebhooks(db, c.var.principal.organizationId, { limit, after });
    return c.json(
      toPage(
        rows,
        limit,
        (r) => ({ id: r.id }),
        (r) => present(env.PUBLIC_URL, r),
      ),
      200,
    );
  });

  app.openapi(routes.rotate, async (c) => {
    const { db, env, now } = c.var.services;
    const principal = c.var.principal;
    const { id } = c.req.valid("param");
    const { row, secret } = await rotateCustomWebhook(db, env, principal.organizationId, id, now());
    await audit(db, {
      organizationId: principal.organizationId,
      actor: principal,
      action: "custom_webhook.rotated",
      targetType: "custom_webhook",
      targetId: id,
    });
    return c.json({ ...present(env.PUBLIC_URL, row), secret }, 200);
  });

  app.openapi(routes.remove, async (c) => {
    const { db } = c.var.services;
    const principal = c.var.principal;
    const { id } = c.req.valid("param");
    await deleteCustomWebhook(db, principal.organizationId, id);
    await audit(db, {
      organizationId: principal.organizationId,
      actor: principal,
      action: "custom_webhook.deleted",
      targetType: "custom_webhook",
      targetId: id,
    });
    return c.body(null, 204);
  });
}
