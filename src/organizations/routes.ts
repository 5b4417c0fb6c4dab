import { z } from "@hono/zod-openapi";
import type { App } from "@/platform/api-app";
import { audit } from "@/platform/audit";
import { protectedRoute } from "@/platform/auth";
import { jsonBody, jsonContent } from "@/platform/openapi";
import { organizationSchema, presentOrganization } from "./schemas";
import { organizationDetail, removeEventsWebhook, renameOrganization, setEventsWebhook } from "./service";

const detail = organizationSchema
  .extend({
    eventsWebhook: z
      .object({ url: z.string() })
      .nullable()
      .openapi({ description: "The secret is never shown again." }),
  })
  .openapi("OrganizationDetail");

const get = protectedRoute({
  method: "get",
  path: "/api/organization",
  tags: ["organization"],
  summary: "The caller's organization",
  roles: ["admin", "supervisor"],
  responses: { 200: jsonContent(detail, "The organization.") },
});

const update = protectedRoute({
  method: "patch",
  path: "/api/organization",
  tags: ["organization"],
  summary: "Rename the organization",
  roles: ["admin"],
  request: { body: jsonBody(z.object({ name: z.string().trim().min(1).max(200) })) },
  responses: { 200: jsonContent(detail, "The organization.") },
});

const setWebhook = protectedRoute({
  method: "put",
  path: "/api/organization/events-webhook",
  tags: ["organization"],
  summary: "Send events (message.received, ticket.created, ticket.assigned, lead.hot) to a URL",
  description:
    'Each event is POSTed as JSON {id, type, occurredAt, data} with `X-Switchboard-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.path.body" with the secret>`. Deliveries are retried; `id` identifies redeliveries.',
  roles: ["admin"],
  request: { body: jsonBody(z.object({ url: z.url({ protocol: /^https?$/ }) })) },
  responses: { 200: jsonContent(z.object({ url: z.string(), secret: z.string() }), "The signing secret, shown once.") },
});

const removeWebhook = protectedRoute({
  method: "delete",
  path: "/api/organization/events-webhook",
  tags: ["organization"],
  summary: "Stop sending events",
  roles: ["admin"],
  responses: { 204: { description: "Removed." } },
});

export function registerOrganizationRoutes(app: App) {
  const load = async (c: Parameters<Parameters<App["openapi"]>[1]>[0]) => {
    const { db, env } = c.var.services;
    const { organization, eventsWebhook } = await organizationDetail(db, env, c.var.principal.organizationId);
    return { ...presentOrganization(organization), eventsWebhook };
  };

  app.openapi(get, async (c) => c.json(await load(c), 200));

  app.openapi(update, async (c) => {
    await renameOrganization(c.var.services.db, c.var.principal.organizationId, c.req.valid("json").name);
    return c.json(await load(c), 200);
  });

  app.openapi(setWebhook, async (c) => {
    const { db, env } = c.var.services;
    const principal = c.var.principal;
    const { url } = c.req.valid("json");
    const webhook = await setEventsWebhook(db, env, principal.organizationId, url);
    await audit(db, {
      organizationId: principal.organizationId,
      actor: principal,
      action: "events_webhook.set",
      metadata: { url },
    });
    return c.json(webhook, 200);
  });

  app.openapi(removeWebhook, async (c) => {
    const { db, env } = c.var.services;
    const principal = c.var.principal;
    await removeEventsWebhook(db, env, principal.organizationId);
    await audit(db, { organizationId: principal.organizationId, actor: principal, action: "events_webhook.removed" });
    return c.body(null, 204);
  });
}
