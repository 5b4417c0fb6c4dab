import { z } from "@hono/zod-openapi";
import type { App } from "@/platform/api-app";
import { audit } from "@/platform/audit";
import { protectedRoute } from "@/platform/auth";
import { inTurn } from "@/platform/db";
import { jsonBody, jsonContent } from "@/platform/openapi";
import { aiSettingsChanges, aiSettingsSchema, readAiSettings, writeAiSettings } from "./settings";
import { spentThisMonth } from "./usage/record";

const settingsView = aiSettingsSchema
  .extend({ spentThisMonthUsd: z.number().openapi({ description: "Model spend this UTC calendar month." }) })
  .openapi("AiSettingsView");

const get = protectedRoute({
  method: "get",
  path: "/api/ai/settings",
  tags: ["ai"],
  summary: "The organization's AI budget and prices",
  roles: ["admin", "supervisor"],
  responses: { 200: jsonContent(settingsView, "The settings and this month's spend.") },
});

const put = protectedRoute({
  method: "patch",
  path: "/api/ai/settings",
  tags: ["ai"],
  summary: "Set the monthly budget or the prices per model",
  roles: ["admin"],
  request: { body: jsonBody(aiSettingsChanges) },
  responses: { 200: jsonContent(settingsView, "The settings and this month's spend.") },
});

export function registerAiSettingsRoutes(app: App) {
  app.openapi(get, async (c) => {
    const { db } = c.var.services;
    const organizationId = c.var.principal.organizationId;
    const [settings, spent] = await inTurn(
      () => readAiSettings(db, organizationId),
      () => spentThisMonth(db, organizationId),
    );
    return c.json({ ...settings, spentThisMonthUsd: spent }, 200);
  });

  app.openapi(put, async (c) => {
    const { db } = c.var.services;
    const principal = c.var.principal;
    const input = c.req.valid("json");
    const settings = await writeAiSettings(db, principal.organizationId, input);
    await audit(db, {
      organizationId: principal.organizationId,
      actor: principal,
      action: "ai_settings.updated",
      metadata: { fields: Object.keys(input) },
    });
    return c.json({ ...settings, spentThisMonthUsd: await spentThisMonth(db, principal.organizationId) }, 200);
  });
}
