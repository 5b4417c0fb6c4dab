import { and, eq, isNull, type SQL, sql } from "drizzle-orm";
import type { DeliveryStatus } from "@/channels/types";
import { interactionEvents, messages } from "@/db/schema";
import type { Executor } from "@/platform/db";

export type StatusUpdate = {
  status: DeliveryStatus;
  timestamp: string;
  error?: { code?: string; message: string };
};

// Status only moves forward. A failure after delivery is stale news and is ignored; a delivery
// reported after a failure is the provider correcting itself and wins.
const RANK = sql`case ${messages.status} when 'queued' then 0 when 'sent' then 1 when 'failed' then 2 when 'delivered' then 3 when 'read' then 4 else 5 end`;
const rankOf: Record<DeliveryStatus, number> = { sent: 1, failed: 2, delivered: 3, read: 4 };

/**
 * Applies a provider status to the outbound message it names. Returns false when no such message
 * is known yet (the send job has not recorded the provider id): the event stays unapplied and the
 * send job applies it once it records the id.
 */
export async function applyStatus(
  db: Executor,
  channelId: string,
  providerMessageId: string,
  update: StatusUpdate,
): Promise<boolean> {
  const [message] = await db
    .select({ id: messages.id })
    .from(messages)
    .where(and(eq(messages.channelId, channelId), eq(messages.providerMessageId, providerMessageId)));
  if (!message) return false;
  await db
    .update(messages)
    .set(statusChanges(update))
    .where(and(eq(messages.id, message.id), advances(update.status)));
  return true;
}

/** What a status changes on its message: the status and the time (or the error) it reports. */
export function statusChanges(update: StatusUpdate) {
  const at = new Date(update.timestamp);
  return {
    status: update.status,
    ...(update.status === "sent" ? { sentAt: at } : {}),
    ...(update.status === "delivered" ? { deliveredAt: at } : {}),
    ...(update.status === "read" ? { readAt: at, deliveredAt: sql`coalesce(${messages.deliveredAt}, ${at})` } : {}),
    ...(update.status === "failed" ? { error: update.error ?? { message: "failed" } } : {}),
  };
}

/** The message's status is behind `status` (statuses only move forward, see RANK). */
export function advances(status: DeliveryStatus): SQL {
  return sql`${RANK} < ${rankOf[status]}`;
}

/** Applies the status events that arrived before the provider id of this message was recorded. */
export async function applyPendingStatuses(
  db: Executor,
  channelId: string,
  providerMessageId: string,
): Promise<number> {
  const pending = await db
    .select({ id: interactionEvents.id, normalized: interactionEvents.normalized })
    .from(interactionEvents)
    .where(
      and(
        eq(interactionEvents.channelId, channelId),
        eq(interactionEvents.reference, providerMessageId),
        isNull(interactionEvents.processedAt),
      ),
    )
    .orderBy(interactionEvents.receivedAt);
  for (const event of pending) {
    await applyStatus(db, channelId, providerMessageId, event.normalized as StatusUpdate);
    await db.update(interactionEvents).set({ processedAt: new Date() }).where(eq(interactionEvents.id, event.id));
  }
  return pending.length;
}
