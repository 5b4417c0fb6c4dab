import { and, eq } from "drizzle-orm";
import { forgetAllChannels } from "@/channels/cache";
import { integrations } from "@/db/schema";
import { sealContext } from "@/keys/sealed";
import { decryptSecret, encryptSecret } from "@/platform/crypto";
import type { Executor } from "@/platform/db";
import type { Env } from "@/platform/env";
import { ApiError, zodIssues } from "@/platform/errors";
import { type IntegrationName, integrationProviders } from "./registry";
import type { IntegrationSource } from "./types";

export type IntegrationRow = typeof integrations.$inferSelect;

// Bound into the ciphertext: secrets copied onto another organization's (or provider's) row do not open.
const context = sealContext.integration;

export async function openSecrets(env: Env, row: IntegrationRow): Promise<Record<string, unknown>> {
  if (!row.secrets) return {};
  return JSON.parse(await decryptSecret(env.ENCRYPTION_KEY, row.secrets, context(row.organizationId, row.provider)));
}

async function storedRow(db: Executor, organizationId: string, provider: IntegrationName) {
  const [row] = await db
    .select()
    .from(integrations)
    .where(and(eq(integrations.organizationId, organizationId), eq(integrations.provider, provider)));
  return row;
}

/** The organization's stored rows, by provider. */
export async function storedIntegrations(db: Executor, organizationId: string) {
  const rows = await db.select().from(integrations).where(eq(integrations.organizationId, organizationId));
  return new Map(rows.map((row) => [row.provider, row]));
}

/**
 * Stores a provider's settings: validated by the provider, secrets sealed. Secret fields left out
 * keep their stored values (a form can change the base URL without knowing the key).
 */
export async function putIntegration(
  db: Executor,
  env: Env,
  organizationId: string,
  name: IntegrationName,
  input: Record<string, unknown>,
): Promise<IntegrationRow> {
  const provider = integrationProviders[name];
  const existing = await storedRow(db, organizationId, name);
  const kept = existing ? await openSecrets(env, existing) : {};
  const parsed = provider.configSchema.safeParse({ ...kept, ...input });
  if (!parsed.success) {
    throw new ApiError("VALIDATION_FAILED", `The ${name} settings are invalid.`, { errors: zodIssues(parsed.error) });
  }
  const config: Record<string, unknown> = {};
  const secrets: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(parsed.data as Record<string, unknown>)) {
    if (value === undefined) continue;
    if (provider.secretFields.includes(field)) secrets[field] = value;
    else config[field] = value;
  }
  const sealed = Object.keys(secrets).length
    ? await encryptSecret(env.ENCRYPTION_KEY, JSON.stringify(secrets), context(organizationId, name))
    : null;
  const [row] = await db
    .insert(integrations)
    .values({ organizationId, provider: name, config, secrets: sealed })
    .onConflictDoUpdate({
      target: [integrations.organizationId, integrations.provider],
      set: { config, secrets: sealed, updatedAt: new Date() },
    })
    .returning();
  if (!row) throw new Error("integration upsert returned nothing");
  // Webhooks decide from cached flags whether the bot can answer (it needs model access).
  forgetAllChannels();
  return row;
}

export async function deleteIntegration(db: Executor, organizationId: string, name: IntegrationName): Promise<void> {
  const [deleted] = await db
    .delete(integrations)
    .where(and(eq(integrations.organizationId, organizationId), eq(integrations.provider, name)))
    .returning({ id: integrations.id });
  if (!deleted) throw new ApiError("NOT_FOUND", `The organization has no ${name} settings of its own.`);
  forgetAllChannels();
}

/** The settings in force for a provider (the organization's, else the deployment's), or null. */
export async function integrationSettings<T extends Record<string, unknown>>(
  db: Executor,
  env: Env,
  organizationId: string,
  name: IntegrationName,
): Promise<{ settings: T; source: IntegrationSource } | null> {
  const provider = integrationProviders[name];
  const row = await storedRow(db, organizationId, name);
  if (row) {
    const parsed = provider.configSchema.safeParse({ ...row.config, ...(await openSecrets(env, row)) });
    if (parsed.success) return { settings: parsed.data as T, source: "organization" };
  }
  const fallback = provider.fromEnv?.(env);
  return fallback ? { settings: fallback as T, source: "deployment" } : null;
}

/** A real call to the provider with the settings in force: whether it answered, and how fast. */
export async function testIntegration(db: Executor, env: Env, organizationId: string, name: IntegrationName) {
  const current = await integrationSettings(db, env, organizationId, name);
  if (!current) throw new ApiError("CONFLICT", `${name} is not configured for this organization.`);
  const started = performance.now();
  try {
    await integrationProviders[name].test(current.settings, env);
    return { ok: true, latencyMs: Math.round(performance.now() - started), source: current.source };
  } catch (error) {
    let message = error instanceof Error ? error.message : String(error);
    // Providers echo a bad key back in their error text; the API never shows a secret.
    for (const field of integrationProviders[name].secretFields) {
      const secret = current.settings[field];
      if (typeof secret === "string" && secret) message = message.replaceAll(secret, "[secret]");
    }
    return { ok: false, latencyMs: Math.round(performance.now() - started), source: current.source, error: message };
  }
}
