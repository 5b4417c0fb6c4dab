import { z } from "@hono/zod-openapi";
import { auditFromContext } from "@/audit/context";
import { auditDiff } from "@/audit/diff";
import type { App } from "@/platform/api-app";
import { protectedRoute } from "@/platform/auth";
import { jsonBody, jsonContent } from "@/platform/openapi";
import { integrationNames, integrationProviders } from "./registry";
import { integrationBody, integrationSchema, presentIntegration, providerParam, testResultSchema } from "./schemas";
import {
  deleteIntegration,
  type IntegrationRow,
  openSecrets,
  putIntegration,
  storedIntegrations,
  testIntegration,
} from "./service";

/** Settings as the audit log compares them: config and secrets together, secrets then redacted. */
async function settingsOf(env: Parameters<typeof openSecrets>[0], row: IntegrationRow | undefined) {
  return row ? { ...row.config, ...(await openSecrets(env, row)) } : null;
}

const routes = {
  list: protectedRoute({
    method: "get",
    path: "/api/integrations",
    tags: ["integrations"],
    summary: "Every provider, configured or not (never a secret)",
    roles: ["admin"],
    responses: { 200: jsonContent(z.object({ data: z.array(integrationSchema) }), "Every provider.") },
  }),
  put: protectedRoute({
    method: "put",
    path: "/api/integrations/{provider}",
    tags: ["integrations"],
    summary: "Configure a provider for the organization (secrets stored encrypted)",
    roles: ["admin"],
    request: { params: providerParam, body: jsonBody(integrationBody) },
    responses: { 200: jsonContent(integrationSchema, "The provider, as configured.") },
  }),
  remove: protectedRoute({
    method: "delete",
    path: "/api/integrations/{provider}",
    tags: ["integrations"],
    summary: "Remove the organization's settings (the deployment's apply again, if any)",
    roles: ["admin"],
    request: { params: providerParam },
    responses: { 204: { description: "Removed." } },
  }),
  test: protectedRoute({
    method: "post",
    path: "/api/integrations/{provider}/test",
    tags: ["integrations"],
    summary: "Call the provider's API with the settings in force",
    roles: ["admin"],
    request: { params: providerParam },
    responses: { 200: jsonContent(testResultSchema, "Whether the provider answered, and how fast.") },
  }),
};

export function registerIntegrationRoutes(app: App) {
  app.openapi(routes.list, async (c) => {
    const { db, env } = c.var.services;
    const stored = await storedIntegrations(db, c.var.principal.organizationId);
    const data = await Promise.all(integrationNames.map((name) => presentIntegration(env, name, stored.get(name))));
    return c.json({ data }, 200);
  });

  app.openapi(routes.put, async (c) => {
    const { db, env } = c.var.services;
    const principal = c.var.principal;
    const { provider } = c.req.valid("param");
    const input = c.req.valid("json");
    const before = await settingsOf(env, (await storedIntegrations(db, principal.organizationId)).get(provider));
    const row = await putIntegration(db, env, principal.organizationId, provider, input);
    await auditFromContext(c, {
      action: "integration.configured",
      targetType: "integration",
      targetId: provider,
      diff: auditDiff(before, await settingsOf(env, row), { secret: integrationProviders[provider].secretFields }),
      metadata: { fields: Object.keys(input) },
    });
    return c.json(await presentIntegration(env, provider, row), 200);
  });

  app.openapi(routes.remove, async (c) => {
    const { db } = c.var.services;
    const principal = c.var.principal;
    const { provider } = c.req.valid("param");
    await deleteIntegration(db, principal.organizationId, provider);
    await auditFromContext(c, { action: "integration.removed", targetType: "integration", targetId: provider });
    return c.body(null, 204);
  });

  app.openapi(routes.test, async (c) => {
    const { db, env } = c.var.services;
    const { provider } = c.req.valid("param");
    return c.json(await testIntegration(db, env, c.var.principal.organizationId, provider), 200);
  });
}
