import { type WebhookEventStatus, webhookEvents } from "@/db/schema";
import { dispatch } from "@/jobs/dispatch";
import { enqueue } from "@/jobs/outbox";
import { eventJob } from "@/notify/job";
import type { Services } from "@/platform/services";
import { cleanText } from "@/platform/text";
import { type CallRow, callerContact, recordCallEvent, upsertCall } from "./calls";
import type { CallEvent } from "./events";

/** The channel a voice webhook named, as storing its events needs it. */
export type VoiceChannel = { id: string; organizationId: string; notify: boolean };

/** The verified body as it arrived, kept byte for byte in webhook_events. */
export type VoiceDelivery = { id: string; provider: string; contentType: string | null; body: Uint8Array };

function deliveryRow(
  channel: VoiceChannel,
  delivery: VoiceDelivery,
  outcome: { status: WebhookEventStatus; reason?: string; result?: Record<string, unknown> },
) {
  return {
    id: delivery.id,
    organizationId: channel.organizationId,
    channelId: channel.id,
    provider: delivery.provider,
    route: null,
    contentType: delivery.contentType,
    body: delivery.body,
    status: outcome.status,
    reason: outcome.reason ?? null,
    result: outcome.result ?? {},
  };
}

/** What the organization's events webhook is told about a call. */
export function callEventData(call: CallRow): Record<string, unknown> {
  return {
    callId: call.id,
    provider: call.provider,
    providerCallId: call.providerCallId,
    channelId: call.channelId,
    contactId: call.contactId,
    direction: call.direction,
    status: call.status,
    startedAt: call.startedAt?.toISOString() ?? null,
    endedAt: call.endedAt?.toISOString() ?? null,
    durationSeconds: call.durationSeconds,
    providerAgentId: call.providerAgentId,
    disconnectionReason: call.disconnectionReason,
    recordingUrl: call.recordingUrl,
    summary: call.summary,
    sentiment: call.sentiment,
    successful: call.successful,
  };
}

/**
 * One event, one transaction: the customer's contact, the call (upsertCall: status forward only,
 * any order gives the same row), the event under its key (a redelivery is a duplicate that
 * changes nothing new), the delivery's webhook_events row and, for a new event of an organization
 * with an events webhook, its notifications, dispatched after the commit.
 */
export async function ingestCallEvent(
  services: Services,
  channel: VoiceChannel,
  event: CallEvent,
  raw: Record<string, unknown>,
  delivery: VoiceDelivery,
): Promise<{ call: CallRow; duplicate: boolean }> {
  const { organizationId } = channel;
  const { call, fresh, jobs } = await services.db.transaction(async (tx) => {
    const contactId = await callerContact(tx, organizationId, event.customerNumber);
    const call = await upsertCall(tx, {
      organizationId,
      provider: delivery.provider,
      providerCallId: event.providerCallId,
      direction: event.direction,
      status: event.status,
      channelId: channel.id,
      contactId,
      ...event.fields,
    });
    const fresh = await recordCallEvent(tx, {
      organizationId,
      callId: call.id,
      kind: event.eventKind,
      key: event.key,
      payload: raw,
      occurredAt: event.occurredAt,
    });
    const result = { callId: call.id, event: event.eventKind };
    await tx
      .insert(webhookEvents)
      .values(deliveryRow(channel, delivery, { status: fresh ? "stored" : "duplicate", result }));
    const notifications =
      fresh && channel.notify
        ? event.notify.map((type) => eventJob(organizationId, type, callEventData(call), call.id))
        : [];
    return { call, fresh, jobs: await enqueue(tx, notifications) };
  });
  if (jobs.length) services.waitUntil(dispatch(services, jobs));
  return { call, duplicate: !fresh };
}

/** A verified body kept without acting on it (an event type not handled, an inactive channel). */
export async function recordIgnoredVoiceEvent(
  services: Services,
  channel: VoiceChannel,
  delivery: VoiceDelivery,
  reason: string,
): Promise<void> {
  await services.db.insert(webhookEvents).values(deliveryRow(channel, delivery, { status: "ignored", reason }));
}

/** A body that failed to store: recorded outside the rolled-back transaction, so an admin sees it. */
export async function recordFailedVoiceEvent(
  services: Services,
  channel: VoiceChannel,
  delivery: VoiceDelivery,
  error: unknown,
): Promise<void> {
  const reason = cleanText(error instanceof Error ? error.message : String(error)).slice(0, 1000);
  try {
    await services.db
      .insert(webhookEvents)
      .values(deliveryRow(channel, delivery, { status: "failed", reason }))
      .onConflictDoNothing({ target: webhookEvents.id });
  } catch (recordError) {
    services.log.error("could not record a failed voice webhook", { deliveryId: delivery.id, error: recordError });
  }
}
