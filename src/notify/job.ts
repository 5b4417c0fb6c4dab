import * as z from "zod";
import { ProviderError, providerFetch } from "@/channels/http";
import { defineJob } from "@/jobs/define";
import { RetryableJobError } from "@/jobs/errors";
import type { NewJob } from "@/jobs/outbox";
import { signLocalDelivery } from "@/jobs/signature";
import { readEventsWebhook } from "./settings";

export const eventTypes = [
  "message.received",
  "ticket.created",
  "ticket.assigned",
  "call.started",
  "call.ended",
  "call.analyzed",
  "call.missed",
  "call.voicemail",
  "lead.hot",
  "custom.received",
  // SLA alerts and the daily summary (src/sla).
  "sla.warning",
  "sla.breached",
  "sla.daily_summary",
] as const;
export type EventType = (typeof eventTypes)[number];

/** A notification for the organization's events webhook, as an outbox job. */
export function eventJob(
  organizationId: string,
  type: EventType,
  data: Record<string, unknown>,
  dedupeKey?: string,
): NewJob {
  return {
    name: "events.deliver",
    organizationId,
    payload: { organizationId, type, data, occurredAt: new Date().toISOString() },
    dedupeKey: dedupeKey ? `events.deliver:${type}:${dedupeKey}` : undefined,
  };
}

/**
 * POSTs one event to the organization's events webhook, signed like Switchboard's own job
 * deliveries (`X-Switchboard-Signature: t=<unix>,v1=<HMAC-SHA256 of "t.path.body">`). The job id
 * is the event id, so a receiver can drop the redeliveries an at-least-once system makes.
 */
export const deliverEventJob = defineJob({
  name: "events.deliver",
  payload: z.object({
    organizationId: z.uuid(),
    type: z.enum(eventTypes),
    data: z.record(z.string(), z.unknown()),
    occurredAt: z.string(),
  }),
  async handle({ db, env }, event, job) {
    const webhook = await readEventsWebhook(db, env, event.organizationId);
    if (!webhook) return { skipped: "no events webhook" };
    const body = JSON.stringify({ id: job.jobId, type: event.type, occurredAt: event.occurredAt, data: event.data });
    try {
      const response = await providerFetch(fetch, webhook.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-switchboard-event": event.type,
          "x-switchboard-signature": await signLocalDelivery(webhook.secret, new URL(webhook.url).pathname, body),
        },
        body,
      });
      await response.body?.cancel();
      return { status: response.status };
    } catch (error) {
      // A receiver that answers 4xx may be fixed later; keep trying within the job's attempts.
      if (error instanceof ProviderError)
        throw new RetryableJobError(`events webhook: ${error.message}`, error.options.retryAfter);
      throw error;
    }
  },
});
