import type { channels } from "@/db/schema";
import { sealContext } from "@/keys/sealed";
import { decryptSecret, encryptSecret } from "@/platform/crypto";
import type { Env } from "@/platform/env";

export type ChannelRow = typeof channels.$inferSelect;

// The channel id is bound into each ciphertext, so credentials copied onto another channel row
// do not decrypt there (the contexts live with the list of sealed values, src/keys/sealed.ts).
const context = (channelId: string, field: "credentials" | "webhook") =>
  field === "credentials" ? sealContext.channelCredentials(channelId) : sealContext.channelWebhookSecret(channelId);

export async function sealCredentials(env: Env, channelId: string, config: Record<string, unknown>): Promise<string> {
  return encryptSecret(env.ENCRYPTION_KEY, JSON.stringify(config), context(channelId, "credentials"));
}

export async function openCredentials(
  env: Env,
  row: Pick<ChannelRow, "id" | "credentials">,
): Promise<Record<string, unknown>> {
  return JSON.parse(await decryptSecret(env.ENCRYPTION_KEY, row.credentials, context(row.id, "credentials")));
}

export async function sealWebhookSecret(env: Env, channelId: string, secret: string): Promise<string> {
  return encryptSecret(env.ENCRYPTION_KEY, secret, context(channelId, "webhook"));
}

export async function openWebhookSecret(env: Env, row: Pick<ChannelRow, "id" | "webhookSecret">): Promise<string> {
  return decryptSecret(env.ENCRYPTION_KEY, row.webhookSecret, context(row.id, "webhook"));
}
