import * as z from "zod";
import { openaiClient } from "@/ai/client";
import type { IntegrationProvider } from "../types";

const config = z.object({
  apiKey: z.string().trim().min(1).max(1000),
  /** Any OpenAI-compatible server: a gateway, a proxy, a local model server (…/v1). */
  baseUrl: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .optional(),
});
export type OpenAIConfig = z.infer<typeof config>;

/**
 * Model access for the AI agent. Without an organization's own key the deployment's
 * OPENAI_API_KEY applies, only ever with the deployment's OPENAI_BASE_URL: a tenant's base URL
 * needs the tenant's key, so the deployment's key is never sent where a tenant points.
 */
export const openaiIntegration: IntegrationProvider<OpenAIConfig> = {
  name: "openai",
  summary: "OpenAI or any OpenAI-compatible server (Chat Completions): the AI agent's model.",
  configSchema: config,
  secretFields: ["apiKey"],
  fromEnv: (env) => (env.OPENAI_API_KEY ? { apiKey: env.OPENAI_API_KEY, baseUrl: env.OPENAI_BASE_URL } : null),
  async test(settings, env) {
    // Listing models is free and needs a valid key: a real round trip without spending tokens.
    await openaiClient(env, settings).models.list();
  },
};
