import * as z from "zod";
import { postToSlack, type SlackConfig } from "@/integrations/providers/slack";
import { integrationSettings } from "@/integrations/service";
import { defineJob } from "@/jobs/define";
import type { NewJob } from "@/jobs/outbox";
import { crmJobError } from "@/leads/crm-errors";

export const SLACK_NOTIFY_JOB = "slack.notify";

/**
 * A Slack alert, written with the change that raised it and posted after the commit; `key` makes
 * it once per cause (a retry or a redelivery never posts twice through the outbox).
 */
export function slackJob(organizationId: string, key: string, text: string): NewJob {
  return {
    name: SLACK_NOTIFY_JOB,
    organizationId,
    payload: { organizationId, text },
    dedupeKey: `${SLACK_NOTIFY_JOB}:${key}`,
    maxAttempts: 6,
  };
}

/** Posts an alert through the organization's incoming webhook; 429/5xx/timeouts retried (Retry-After kept). */
export const slackNotifyJob = defineJob({
  name: SLACK_NOTIFY_JOB,
  payload: z.object({ organizationId: z.uuid(), text: z.string().min(1).max(4000) }),
  async handle({ db, env }, { organizationId, text }) {
    const current = await integrationSettings<SlackConfig>(db, env, organizationId, "slack");
    if (!current) return { skipped: "slack not configured" };
    try {
      await postToSlack(current.settings, { text });
    } catch (error) {
      throw crmJobError("Slack", error);
    }
    return { posted: true };
  },
});
