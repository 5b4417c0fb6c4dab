import { z } from "zod";
import type { ChannelAdapter } from "../types";

// Placeholder until the adapter is written: verifies nothing, parses nothing, cannot send.
const config = z.object({});

export const builderbotAdapter: ChannelAdapter<z.infer<typeof config>> = {
  type: "whatsapp_builderbot",
  provider: "builderbot",
  baseUrlEnv: "BUILDERBOT_API_URL",
  defaultBaseUrl: "https://app.builderbot.cloud",
  configSchema: config,
  sendFields: [],
  serviceWindow: () => false,
  webhookUrls: (publicUrl, channelId) => ({ webhook: `${publicUrl}/webhooks/builderbot/${channelId}` }),
  verify: async () => false,
  parse: () => [],
  send: async () => {
    throw new Error("not implemented");
  },
};
