import { chatwootIntegration } from "./providers/chatwoot";
import { openaiIntegration } from "./providers/openai";
import { piperunIntegration } from "./providers/piperun";
import { slackIntegration } from "./providers/slack";
import type { IntegrationProvider } from "./types";

/** Every provider an organization can connect, by name: the path segment of /api/integrations/{provider}. */
export const integrationNames = ["openai", "chatwoot", "piperun", "slack"] as const;
export type IntegrationName = (typeof integrationNames)[number];

// biome-ignore lint/suspicious/noExplicitAny: providers differ in their config type; the service validates with each one's own schema
export const integrationProviders: Record<IntegrationName, IntegrationProvider<any>> = {
  openai: openaiIntegration,
  chatwoot: chatwootIntegration,
  piperun: piperunIntegration,
  slack: slackIntegration,
};
