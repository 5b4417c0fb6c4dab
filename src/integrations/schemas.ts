import { z } from "@hono/zod-openapi";
import type { Env } from "@/platform/env";
import { timestamp } from "@/platform/openapi";
import { type IntegrationName, integrationNames, integrationProviders } from "./registry";
import { type IntegrationRow, openSecrets } from "./service";

export const integrationSchema = z
  .object({
    provider: z.enum(integrationNames),
    summary: z.string(),
    configured: z.boolean(),
    source: z
      .enum(["organization", "deployment"])
      .nullable()
      .openapi({ description: "Whose settings are in force: the organization's own, or the deployment's env." }),
    config: z.record(z.string(), z.unknown()).openapi({ description: "The settings that are not secret." }),
    secrets: z
      .record(z.string(), z.boolean())
      .openapi({ description: "Which secret fields are set; their values are never returned." }),
    updatedAt: timestamp.nullable(),
  })
  .openapi("Integration");

export const integrationBody = z.record(z.string(), z.unknown()).openapi({
  description:
    "openai: apiKey, baseUrl? (any OpenAI-compatible server, e.g. http://localhost:11434/v1). chatwoot: baseUrl?, apiAccessToken, accountId, inboxId. piperun: apiToken, baseUrl? (default https://api.pipe.run/v1), pipelineId, stageId, originId?. Secret fields left out keep their stored value.",
});

export const providerParam = z.object({
  provider: z.enum(integrationNames).openapi({ param: { name: "provider", in: "path" }, example: "openai" }),
});

export const testResultSchema = z
  .object({
    ok: z.boolean(),
    latencyMs: z.number(),
    source: z.enum(["organization", "deployment"]),
    error: z.string().optional(),
  })
  .openapi("IntegrationTest");

/** A provider as the API shows it: configured or not, never a secret. */
export async function presentIntegration(
  env: Env,
  name: IntegrationName,
  row: IntegrationRow | undefined,
): Promise<z.infer<typeof integrationSchema>> {
  const provider = integrationProviders[name];
  const fromEnv = row ? null : provider.fromEnv?.(env);
  const secrets = row ? await openSecrets(env, row) : (fromEnv ?? {});
  return {
    provider: name,
    summary: provider.summary,
    configured: Boolean(row ?? fromEnv),
    source: row ? "organization" : fromEnv ? "deployment" : null,
    config: row?.config ?? {},
    secrets: Object.fromEntries(provider.secretFields.map((field) => [field, Boolean(secrets[field])])),
    updatedAt: row?.updatedAt.toISOString() ?? null,
  };
}
