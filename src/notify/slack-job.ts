import * as z from "zod";
import { postToSlack, type SlackConfig } from "@/integrations/providers/slack";
import { integrationSettings } from "@/integrations/service";
import { defineJob } from "@/jobs/define";
import type { NewJob } from "@/jobs/outbox";
import { crmJobError } from "@/leads/crm-errors";
import { readQueueSlack } from "@/sla/queue-slack";

export const SLACK_NOTIFY_JOB = "slack.notify";

/**
 * A Slack alert, written with the change that raised it and posted after the commit; `key` makes
 * it once per cause (a retry or a redelivery never posts twice through the outbox). With a queue,
 * the queue's own incoming webhook takes it when it has one (SLA alerts, src/sla).
 */
export function slackJob(organizationId: string, key: string, text: string, queueId: string | null = null): NewJob {
  return {
    name: SLACK_NOTIFY_JOB,
    organizationId,
    payload: { organizationId, text, ...(queueId ? { queueId } : {}) },
    dedupeKey: `${SLACK_NOTIFY_JOB}:${key}`,
    maxAttempts: 6,
  };
}

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
