import * as z from "zod";
import { postToSlack, type SlackConfig } from "@/integrations/providers/slack";
import { integrationSettings } from "@/integrations/service";
import { defineJob } from "@/jobs/define";
import { crmJobError } from "@/leads/crm-errors";
import { readQueueSlack } from "@/sla/queue-slack";
import { SLACK_NOTIFY_JOB } from "./slack-message";

// The job builder lives apart so producers (the cron's SLA sweep) do not bundle this handler's
// integrations (and their SDKs); re-exported for the producers that import it from here.
export { slackJob } from "./slack-message";

/** Posts an alert through the organization's incoming webhook; 429/5xx/timeouts retried (Retry-After kept). */
export const slackNotifyJob = defineJob({
  name: SLACK_NOTIFY_JOB,
  payload: z.object({ organizationId: z.uuid(), text: z.string().min(1).max(4000), queueId: z.uuid().optional() }),
  async handle({ db, env }, { organizationId, text, queueId }) {
    const queueWebhook = queueId ? await readQueueSlack(db, env, organizationId, queueId) : null;
    const settings = queueWebhook
      ? { webhookUrl: queueWebhook }
      : (await integrationSettings<SlackConfig>(db, env, organizationId, "slack"))?.settings;
    if (!settings) return { skipped: "slack not configured" };
    try {
      await postToSlack(settings, { text });
    } catch (error) {
      throw crmJobError("Slack", error);
    }
    return { posted: true };
  },
});
