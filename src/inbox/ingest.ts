import { eq, sql } from "drizzle-orm";
import { assignJob } from "@/assignment/enqueue";
import type { InboundEvent, InboundMessageEvent, StatusEvent } from "@/channels/types";
import { interactionEvents, messages, tickets } from "@/db/schema";
import { dispatch } from "@/jobs/dispatch";
import { enqueue, type NewJob } from "@/jobs/outbox";
import { applyStatus, type StatusUpdate } from "@/messages/statuses";
import { eventJob } from "@/notify/job";
import type { Transaction } from "@/platform/db";
import type { Services } from "@/platform/services";
import { contactWithActiveTicket } from "./contacts";
import { ingestIntoOpenTicket } from "./fast-path";
import { ticketForInbound } from "./tickets";

export type IngestChannel = {
  id: string;
  organizationId: string;
  provider: string;
  queueId: string | null;
  reopenWindowHours: number;
  /** The organization has an events webhook: inbound messages and new tickets are notified. */
  notify: boolean;
};

export type IngestResult = { messages: number; statuses: number; duplicates: number; ignored: number };

async function storeEvent(
  tx: Transaction,
  channel: IngestChannel,
  event: InboundMessageEvent | StatusEvent,
  raw: unknown,
) {
  const normalized: Record<string, unknown> =
    event.kind === "status"
      ? ({ status: event.status, timestamp: event.timestamp.toISOString(), error: event.error } satisfies StatusUpdate)
      : { type: event.type, providerMessageId: event.providerMessageId };
  const [stored] = await tx
    .insert(interactionEvents)
    .values({
      organizationId: channel.organizationId,
      channelId: channel.id,
      provider: channel.provider,
      eventType: event.kind === "status" ? `status.${event.status}` : `message.${event.type}`,
      idempotencyKey: event.idempotencyKey,
      payload: raw,
      normalized,
      reference: event.kind === "status" ? event.providerMessageId : null,
      // A message is fully handled by this transaction (or the whole thing rolls back); a status
      // may find no message yet and stay unprocessed for the send job.
      processedAt: event.kind === "message" ? new Date() : null,
    })
    .onConflictDoNothing({ target: [interactionEvents.provider, interactionEvents.idempotencyKey] })
    .returning({ id: interactionEvents.id });
  return stored;
}

async function ingestMessage(tx: Transaction, channel: IngestChannel, event: InboundMessageEvent): Promise<NewJob[]> {
  const at = event.timestamp;
  const { contactId, active } = await contactWithActiveTicket(tx, channel.organizationId, channel.id, event.from, at);
  const { ticket, opened } =
    active?.status === "open"
      ? { ticket: active, opened: "existing" as const }
      : await ticketForInbound(tx, channel, contactId, at);
  const insert = tx
    .insert(messages)
    .values({
      organizationId: channel.organizationId,
      ticketId: ticket.id,
      channelId: channel.id,
      contactId,
      direction: "inbound",
      type: event.type,
      body: event.text ?? null,
      media: event.media ?? null,
      content: event.content ?? null,
      providerMessageId: event.providerMessageId,
      status: "received",
      senderType: "contact",
      createdAt: at,
    })
    .onConflictDoNothing({ target: [messages.channelId, messages.providerMessageId] })
    .returning({ id: messages.id });
  // The message and the ticket's counters in one round trip; nothing is touched for a duplicate.
  const { rows } = await tx.execute<{ message_id: string | null }>(sql`
    with inserted as (${insert.getSQL()})
    update ${tickets} set
      last_message_at = greatest(last_message_at, ${at}),
      last_inbound_at = greatest(last_inbound_at, ${at}),
      unread_count = unread_count + 1,
      updated_at = now()
    where id = ${ticket.id} and exists (select 1 from inserted)
    returning (select id from inserted) as message_id`);
  const messageId = rows[0]?.message_id;
  if (!messageId) return [];
  const jobs: NewJob[] = [];
  if (opened !== "existing" && !ticket.assigneeId) {
    jobs.push(assignJob(channel.organizationId, ticket.id));
  }
  if (channel.notify) {
    const refs = { ticketId: ticket.id, channelId: channel.id, contactId };
    if (opened === "created") jobs.push(eventJob(channel.organizationId, "ticket.created", refs, ticket.id));
    jobs.push(
      eventJob(
        channel.organizationId,
        "message.received",
        { ...refs, messageId, type: event.type, text: event.text ?? null },
        messageId,
      ),
    );
  }
  return jobs;
}

/**
 * One webhook, one transaction: raw events (deduplicated by idempotency key), contacts, tickets,
 * messages, status updates and the jobs they cause. Jobs are dispatched after the commit.
 */
export async function ingest(
  services: Services,
  channel: IngestChannel,
  events: InboundEvent[],
  raw: unknown,
): Promise<IngestResult> {
  const result: IngestResult = { messages: 0, statuses: 0, duplicates: 0, ignored: 0 };
  const actionable = events.filter((e) => e.kind !== "ignored");
  const [only] = actionable;
  if (actionable.length === 1 && only?.kind === "message") {
    const fast = await ingestIntoOpenTicket(services.db, channel, only, raw);
    if (fast !== "not-applicable") {
      return {
        ...result,
        ignored: events.length - 1,
        messages: fast === "stored" ? 1 : 0,
        duplicates: fast === "duplicate" ? 1 : 0,
      };
    }
  }
  const jobs = await services.db.transaction(async (tx) => {
    const pending: NewJob[] = [];
    for (const event of events) {
      if (event.kind === "ignored") {
        result.ignored += 1;
        continue;
      }
      const stored = await storeEvent(tx, channel, event, raw);
      if (!stored) {
        result.duplicates += 1;
        continue;
      }
      if (event.kind === "message") {
        pending.push(...(await ingestMessage(tx, channel, event)));
        result.messages += 1;
      } else {
        const update: StatusUpdate = {
          status: event.status,
          timestamp: event.timestamp.toISOString(),
          error: event.error,
        };
        if (await applyStatus(tx, channel.id, event.providerMessageId, update)) {
          await tx
            .update(interactionEvents)
            .set({ processedAt: new Date() })
            .where(eq(interactionEvents.id, stored.id));
        }
        result.statuses += 1;
      }
    }
    return enqueue(tx, pending);
  });
  if (jobs.length > 0) services.waitUntil(dispatch(services, jobs));
  return result;
}
