import { z } from "zod";
import type { ChannelAdapter } from "../types";

// Placeholder until the adapter is written: verifies nothing, parses nothing, cannot send.
const config = z.object({});

export const zapiAdapter: ChannelAdapter<z.infer<typeof config>> = {
  type: "whatsapp_zapi",
  provider: "zapi",
  baseUrlEnv: "ZAPI_BASE_URL",
  defaultBaseUrl: "https://api.z-api.io",
  configSchema: config,
  sendFields: [],
  serviceWindow: () => false,
  webhookUrls: (publicUrl, channelId) => ({ webhook: `${publicUrl}/webhooks/zapi/${channelId}` }),
  verify: async () => false,
  parse: () => [],
  send: async () => {
    throw new Error("not implemented");
  },
};
