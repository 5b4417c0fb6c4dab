import { and, eq, sql } from "drizzle-orm";
import type { StatusEvent } from "@/channels/types";
import { insertSelect } from "@/db/insert-select";
import { prepared } from "@/db/prepared";
import { messages, webhookEvents } from "@/db/schema";
import { advances, statusChanges } from "@/messages/statuses";
import type { Database } from "@/platform/db";
import { deliveryRow, eventInsert, interactionEventRow, statusUpdate } from "./rows";
import type { Delivery, IngestChannel } from "./types";

/**
 * A delivery receipt (sent, delivered, read, failed: up to three per reply, the commonest webhook)
 * in one statement instead of a transaction's seven round trips: the raw event (deduplicated by its
 * idempotency key, processed when its message is known), the message's status where it moves
 * forward, and the delivery's row, with the same rows and outcome as the transactional path. A
 * replay takes that path. Returns whether the event was new.
 */
export async function applyReceipt(
  db: Database,
  channel: IngestChannel,
  event: StatusEvent,
  raw: unknown,
  delivery: Delivery,
): Promise<"stored" | "duplicate"> {
  const stored = sql`exists (select 1 from event)`;
  const status = db
    .update(messages)
    .set(statusChanges(statusUpdate(event)))
    .where(and(eq(messages.id, sql`(select id from target)`), stored, advances(event.status)));
  const { rows } = await db.execute<{ event_id: string | null }>(
    prepared(sql`
    with target as (
      select ${messages.id} as id from ${messages}
      where ${messages.channelId} = ${channel.id} and ${messages.providerMessageId} = ${event.providerMessageId}
    ),
    event as (
      ${eventInsert(
        {
          ...interactionEventRow(channel, event, raw),
          // Unprocessed while its message is unknown: the send job applies it once it records the id.
          processedAt: sql`case when exists (select 1 from target) then ${new Date()}::timestamptz end`,
        },
        sql``,
      )}
    ),
    moved as (${status.getSQL()} returning ${messages.id}),
    delivery as (
      ${insertSelect(
        webhookEvents,
        deliveryRow(channel, delivery, {
          status: sql`case when ${stored} then 'stored' else 'duplicate' end`,
          reason: null,
          result: sql`jsonb_build_object('messages', 0, 'statuses', (select count(*) from event),
            'duplicates', 1 - (select count(*) from event), 'ignored', 0)`,
        }),
        sql``,
      )}
      returning id
    )
    select (select id from event) as event_id`),
  );
  return rows[0]?.event_id ? "stored" : "duplicate";
}
