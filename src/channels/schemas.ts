import { z } from "@hono/zod-openapi";
import type { Env } from "@/platform/env";
import { timestamp } from "@/platform/openapi";
import { channelDefinition } from "./definitions";
import { type ChannelRow, openCredentials, openWebhookSecret } from "./secrets";
import { channelSettings, channelSettingsPatch, readSettings } from "./settings";
import { allChannelTypes } from "./types";

export const channelSchema = z
  .object({
    id: z.string(),
    type: z.enum(allChannelTypes),
    name: z.string(),
    active: z.boolean(),
    queueId: z.string().nullable(),
    settings: channelSettings,
    configured: z
      .record(z.string(), z.boolean())
      .openapi({ description: "Which credential fields are set; values are never returned." }),
    webhookUrls: z.record(z.string(), z.string()).openapi({ description: "Paste these into the provider's console." }),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .openapi("Channel");

// Messaging credentials are strings; voice channels also take numbers lists, flags and business hours.
const configValue = z.union([
  z.string().max(4096),
  z.boolean(),
  z.number(),
  z.array(z.string().max(200)).max(100),
  z.record(z.string(), z.unknown()),
]);
const configBody = z.record(z.string(), configValue).openapi({
  description:
    "whatsapp_meta: phoneNumberId, accessToken, appSecret, verifyToken · whatsapp_zapi: instanceId, instanceToken, clientToken · whatsapp_builderbot: botId, apiKey, webhookToken, apiUrl · twilio_sms: accountSid, authToken, phoneNumber · telegram: botToken, secretToken · twilio_voice: accountSid, authToken, phoneNumbers[], workspaceSid, workflowSid, greeting, language, waitMusicUrl, businessHours{timezone, ranges[{day,start,end}], holidays[]}, voicemail, failoverNumber · retell: apiKey, fromNumber, defaultAgentId · elevenlabs: webhookSecret",
});

export const newChannel = z.object({
  type: z.enum(allChannelTypes),
  name: z.string().trim().min(1).max(200),
  config: configBody,
  queueId: z.uuid().nullable().optional(),
  settings: channelSettingsPatch.optional(),
  active: z.boolean().default(true),
});
export type NewChannel = z.infer<typeof newChannel>;

export const channelChanges = z
  .object({
    name: z.string().trim().min(1).max(200),
    config: configBody,
    queueId: z.uuid().nullable(),
    settings: channelSettingsPatch,
    active: z.boolean(),
  })
  .partial();
export type ChannelChanges = z.infer<typeof channelChanges>;

/** The channel as the API shows it: which credentials are set (never their values) and its webhook URLs. */
export async function presentChannel(env: Env, row: ChannelRow): Promise<z.infer<typeof channelSchema>> {
  const definition = channelDefinition(row.type);
  const config = await openCredentials(env, row);
  const schema = definition?.configSchema;
  const fields = schema instanceof z.ZodObject ? Object.keys(schema.shape) : Object.keys(config);
  return {
    id: row.id,
    type: row.type,
    name: row.name,
    active: row.active,
    queueId: row.queueId,
    settings: readSettings(row.settings),
    configured: Object.fromEntries(fields.map((f) => [f, Boolean(config[f])])),
    webhookUrls: definition ? definition.webhookUrls(env.PUBLIC_URL, row.id, await openWebhookSecret(env, row)) : {},
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
