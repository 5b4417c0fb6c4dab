import { eq, sql } from "drizzle-orm";
import { type Coverage, channelCoverage } from "@/ai/coverage";
import { botIgnores, botTakesInbound } from "@/ai/inbound";
import { assignJob } from "@/assignment/enqueue";
import type { InboundEvent, InboundMessageEvent, StatusEvent } from "@/channels/types";
import { interactionEvents, messages, tickets, webhookEvents } from "@/db/schema";
import { dispatch } from "@/jobs/dispatch";
import { enqueue, type NewJob } from "@/jobs/outbox";
import { chatwootSyncJob, mirrorsToChatwoot } from "@/leads/chatwoot-mirror";
import { applyStatus } from "@/messages/statuses";
import { eventJob } from "@/notify/job";
import type { Transaction } from "@/platform/db";
import type { Services } from "@/platform/services";
import { contactWithActiveTicket } from "./contacts";
import { ingestIntoOpenTicket } from "./fast-path";
import { openConversation } from "./new-conversation";
import { deliveryOutcome, deliveryRow, inboundMessageRow, interactionEventRow, statusUpdate } from "./rows";
import { applyReceipt } from "./status-fast-path";
import { ticketForInbound } from "./tickets";
import type { Delivery, IngestChannel, IngestResult } from "./types";

export type { Delivery, IngestChannel, IngestResult } from "./types";

async function ingestMessage(
  tx: Transaction,
  channel: IngestChannel,
  event: InboundMessageEvent,
  coverage: Coverage,
  mirror = false,
): Promise<NewJob[]> {
  const at = event.timestamp;
  const { contactId, active } = await contactWithActiveTicket(tx, channel.organizationId, channel.id, event.from, at);
  const { ticket, opened } =
    active?.status === "open"
      ? { ticket: active, opened: "existing" as const }
      : await ticketForInbound(tx, channel, contactId, at);
  const insert = tx
    .insert(messages)
    .values(inboundMessageRow(channel, event, ticket.id, contactId))
    .onConflictDoNothing({ target: [messages.channelId, messages.providerMessageId] })
    .returning({ id: messages.id });
  // The message and the ticket's counters in one round trip; nothing is touched for a duplicate.
  const { rows } = await tx.execute<{ message_id: string | null }>(sql`
    with inserted as (${insert.getSQL()})
    update ${tickets} set
      last_message_at = greatest(last_message_at, ${at}),
      last_inbound_at = greatest(last_inbound_at, ${at}),
      unread_count = unread_count + 1,
      waiting_since = coalesce(waiting_since, ${at}), -- SLA: the customer waits for an answer (src/sla)
      updated_at = now()
    where id = ${ticket.id} and exists (select 1 from inserted)
    returning (select id from inserted) as message_id`);
  const messageId = rows[0]?.message_id;
  if (!messageId) return [];
  const bot = await botTakesInbound(tx, coverage, { channel, ticket, messageId, type: event.type });
  const jobs: NewJob[] = [...bot.jobs];
  if (mirror) jobs.push(chatwootSyncJob(channel.organizationId, ticket.id, messageId));
  if (opened !== "existing" && !ticket.assigneeId && !bot.owns) {
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
 * One webhook, one transaction: the delivery's row (what became of the body), raw events
 * (deduplicated by idempotency key), contacts, tickets, messages, status updates and the jobs they
 * cause. Jobs are dispatched after the commit. Events must already be cleaned (platform/text.ts).
 */
export async function ingest(
  services: Services,
  channel: IngestChannel,
  events: InboundEvent[],
  raw: unknown,
  delivery: Delivery,
): Promise<IngestResult> {
  const result: IngestResult = { messages: 0, statuses: 0, duplicates: 0, ignored: 0 };
  const ignoredReasons = events.flatMap((e) => (e.kind === "ignored" ? [e.reason] : []));
  const actionable = events.filter((e): e is InboundMessageEvent | StatusEvent => e.kind !== "ignored");
  const [only] = actionable;
  if (actionable.length === 1 && only?.kind === "status" && ignoredReasons.length === 0 && !delivery.replay) {
    const receipt = await applyReceipt(services.db, channel, only, raw, delivery);
    return { ...result, statuses: receipt === "stored" ? 1 : 0, duplicates: receipt === "duplicate" ? 1 : 0 };
  }
  const coverage = await channelCoverage(services, channel);
  const mirror = await mirrorsToChatwoot(services.db, channel.organizationId);
  if (actionable.length === 1 && only?.kind === "message" && botIgnores(coverage, only.type) && !mirror) {
    const ignored = ignoredReasons.length;
    const fast = await ingestIntoOpenTicket(services.db, channel, only, raw, delivery, ignored);
    if (fast !== "not-applicable") {
      return { ...result, ignored, messages: fast === "stored" ? 1 : 0, duplicates: fast === "duplicate" ? 1 : 0 };
    }
    const opened = await openConversation(services.db, channel, only, raw, delivery, ignored);
    if (opened.kind === "stored") {
      if (opened.jobs.length > 0) services.waitUntil(dispatch(services, opened.jobs));
      return { ...result, ignored, messages: 1 };
    }
  }
  const jobs = await services.db.transaction(async (tx) => {
    const pending: NewJob[] = [];
    result.ignored = ignoredReasons.length;
    for (const event of actionable) {
      const [stored] = await tx
        .insert(interactionEvents)
        .values(interactionEventRow(channel, event, raw))
        .onConflictDoNothing({ target: [interactionEvents.provider, interactionEvents.idempotencyKey] })
        .returning({ id: interactionEvents.id });
      if (!stored) {
        result.duplicates += 1;
        continue;
      }
      if (event.kind === "message") {
        pending.push(...(await ingestMessage(tx, channel, event, coverage, mirror)));
        result.messages += 1;
      } else {
        if (await applyStatus(tx, channel.id, event.providerMessageId, statusUpdate(event))) {
          await tx
            .update(interactionEvents)
            .set({ processedAt: new Date() })
            .where(eq(interactionEvents.id, stored.id));
        }
        result.statuses += 1;
      }
    }
    const outcome = deliveryOutcome(result, ignoredReasons);
    if (delivery.replay) {
      await tx
        .update(webhookEvents)
        .set({ ...outcome, replayCount: sql`${webhookEvents.replayCount} + 1`, replayedAt: new Date() })
        .where(eq(webhookEvents.id, delivery.id));
    } else {
      await tx.insert(webhookEvents).values(deliveryRow(channel, delivery, outcome));
    }
    return enqueue(tx, pending);
  });
  if (jobs.length > 0) services.waitUntil(dispatch(services, jobs));
  return result;
}
