import type { NewJob } from "@/jobs/outbox";

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
