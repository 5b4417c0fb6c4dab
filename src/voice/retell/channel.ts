import * as z from "zod";
import type { ChannelDefinition } from "@/channels/types";

export const retellConfig = z.object({
  /** Retell API key with the webhook badge: it signs the webhooks and authenticates API calls. */
  apiKey: z.string().min(1),
  fromNumber: z.string().regex(/^\+[1-9]\d{6,14}$/, "an E.164 number"),
  defaultAgentId: z.string().min(1).optional(),
});
export type RetellConfig = z.infer<typeof retellConfig>;

export const retellChannel: ChannelDefinition = {
  configSchema: retellConfig,
  webhookUrls: (publicUrl, channelId) => ({ webhook: `${publicUrl}/webhooks/retell/${channelId}` }),
};
