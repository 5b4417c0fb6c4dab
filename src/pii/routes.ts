import { z } from "@hono/zod-openapi";
import { eq, sql } from "drizzle-orm";
import { auditFromContext } from "@/audit/context";
import { auditDiff } from "@/audit/diff";
import { organizations } from "@/db/schema";
import type { App } from "@/platform/api-app";
import type { AppContext } from "@/platform/app";
import { protectedRoute } from "@/platform/auth";
import { jsonBody, jsonContent } from "@/platform/openapi";
import { organizationMasking } from "./policy";

const privacySchema = z
  .object({
    piiMasking: z.object({
      deployment: z.boolean().openapi({ description: "PII_MASKING_ENABLED." }),
      organization: z
        .boolean()
        .nullable()
        .openapi({ description: "The organization's own choice; null follows the deployment." }),
      effective: z.boolean().openapi({ description: "Whether lists mask phones and e-mails now." }),
    }),
  })
  .openapi("Privacy");

const get = protectedRoute({
  method: "get",
  path: "/api/organization/privacy",
  tags: ["organization"],
  summary: "Whether phones and e-mails are masked in lists, and why",
  roles: ["admin", "supervisor"],
  responses: { 200: jsonContent(privacySchema, "The masking settings.") },
});

const update = protectedRoute({
  method: "patch",
  path: "/api/organization/privacy",
  tags: ["organization"],
  summary: "Mask phones and e-mails in lists, or not, for this organization (audited)",
  description:
    "`piiMasking: false` shows full values in lists to every role; `true` masks them even where the deployment does not; `null` follows PII_MASKING_ENABLED. Logs are masked whatever the setting.",
  roles: ["admin"],
  request: { body: jsonBody(z.object({ piiMasking: z.boolean().nullable() })) },
  responses: { 200: jsonContent(privacySchema, "The masking settings.") },
});

async function present(c: AppContext) {
  const deployment = c.var.services.env.PII_MASKING_ENABLED;
  const organization = await organizationMasking(c, c.var.principal.organizationId);
  return { piiMasking: { deployment, organization, effective: organization ?? deployment } };
}

export function registerPrivacyRoutes(app: App) {
  app.openapi(get, async (c) => c.json(await present(c), 200));

  app.openapi(update, async (c) => {
    const { piiMasking } = c.req.valid("json");
    const { organizationId } = c.var.principal;
    const before = await organizationMasking(c, organizationId);
    // One statement on the one key: settings written elsewhere meanwhile (the events webhook) stay.
    const settings =
      piiMasking === null
        ? sql`${organizations.settings} - 'piiMasking'`
        : sql`jsonb_set(${organizations.settings}, '{piiMasking}', ${JSON.stringify(piiMasking)}::jsonb)`;
    await c.var.services.db.update(organizations).set({ settings }).where(eq(organizations.id, organizationId));
    await auditFromContext(c, {
      action: "organization.pii_masking_changed",
      targetType: "organization",
      targetId: organizationId,
      diff: auditDiff({ piiMasking: before }, { piiMasking }),
    });
    return c.json(await present(c), 200);
  });
}
