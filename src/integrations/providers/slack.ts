import * as z from "zod";
import { providerFetch } from "@/channels/http";
import type { IntegrationProvider } from "../types";

const config = z.object({
  /** An incoming webhook (https://hooks.slack.com/services/...): it is the credential, so it is sealed. */
  webhookUrl: z.url({ protocol: /^https?$/ }).max(2000),
});
export type SlackConfig = z.infer<typeof config>;

export type SlackMessage = { text: string };

/**
 * One message through the incoming webhook. Slack answers "ok" or a plain-text error
 * (invalid_payload, no_service, channel_not_found...), which becomes the failure's message.
 */
export async function postToSlack(settings: SlackConfig, message: SlackMessage): Promise<void> {
  const response = await providerFetch(
    fetch,
    settings.webhookUrl,
    { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(message) },
    {
      describe: (body) => ({
        message: body.trim().slice(0, 200) || undefined,
        code: body.trim().slice(0, 50) || undefined,
      }),
    },
  );
  await response.body?.cancel();
}

/** Slack: alerts (a hot lead, and SLA warnings and breaches) posted through an incoming webhook. */
export const slackIntegration: IntegrationProvider<SlackConfig> = {
  name: "slack",
  summary: "Slack incoming webhook: an alert for every lead that turns hot.",
  configSchema: config,
  secretFields: ["webhookUrl"],
  async test(settings) {
    // Incoming webhooks have no read-only call: the test is a message the channel will show.
    await postToSlack(settings, { text: "Switchboard: connection test (this channel will receive alerts)." });
  },
};
