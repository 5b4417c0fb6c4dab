import * as z from "zod";
import type { ChannelDefinition } from "@/channels/types";

export const elevenlabsConfig = z.object({
  /** The post-call webhook's HMAC secret (ElevenLabs-Signature), also accepted as a static X-Webhook-Token. */
  webhookSecret: z.string().min(16),
});
export type ElevenlabsConfig = z.infer<typeof elevenlabsConfig>;

export const elevenlabsChannel: ChannelDefinition = {
  configSchema: elevenlabsConfig,
  webhookUrls: (publicUrl, channelId) => ({ webhook: `${publicUrl}/webhooks/elevenlabs/${channelId}` }),
};
