import { z } from "zod";
import type { ChannelAdapter } from "../types";

// Placeholder until the adapter is written: verifies nothing, parses nothing, cannot send.
const config = z.object({});

export const telegramAdapter: ChannelAdapter<z.infer<typeof config>> = {
  type: "telegram",
  provider: "telegram",
  baseUrlEnv: "TELEGRAM_API_URL",
  defaultBaseUrl: "https://api.telegram.org",
  configSchema: config,
  sendFields: [],
  serviceWindow: () => false,
  webhookUrls: (publicUrl, channelId) => ({ webhook: `${publicUrl}/webhooks/telegram/${channelId}` }),
  verify: async () => false,
  parse: () => [],
  send: async () => {
    throw new Error("not implemented");
  },
};
