import { z } from "zod";
import type { ChannelAdapter } from "../types";

// Placeholder until the adapter is written: verifies nothing, parses nothing, cannot send.
const config = z.object({});

export const twilioAdapter: ChannelAdapter<z.infer<typeof config>> = {
  type: "twilio_sms",
  provider: "twilio",
  baseUrlEnv: "TWILIO_API_URL",
  defaultBaseUrl: "https://api.twilio.com",
  configSchema: config,
  sendFields: [],
  serviceWindow: () => false,
  webhookUrls: (publicUrl, channelId) => ({ webhook: `${publicUrl}/webhooks/twilio/${channelId}` }),
  verify: async () => false,
  parse: () => [],
  send: async () => {
    throw new Error("not implemented");
  },
};
