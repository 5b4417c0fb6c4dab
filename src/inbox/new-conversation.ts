import { sql } from "drizzle-orm";
import { v7 as uuidv7 } from "uuid";
import { someoneCanTake } from "@/assignment/assign";
import { assignJob } from "@/assignment/enqueue";
import type { InboundMessageEvent } from "@/channels/types";
import { phoneContactValues } from "@/contacts/service";
import { insertSelect } from "@/db/insert-select";
import { prepared } from "@/db/prepared";
import { contacts, interactionEvents, messages, outbox, ticketHistory, tickets, webhookEvents } from "@/db/schema";
import { type DispatchableJob, outboxValues } from "@/jobs/outbox";
import type { Database } from "@/platform/db";
import { isDatabaseError } from "@/platform/db-errors";
import { cachedPolicy, type SlaPolicy } from "@/sla/policy";
import { newTicketValues } from "@/tickets/create";
import { historyRow } from "@/tickets/history";
import { deliveryRow, eventInsert, inboundMessageRow, interactionEventRow } from "./rows";
import type { Delivery, IngestChannel } from "./types";

export type NewConversation = { kind: "stored"; jobs: DispatchableJob[] } | { kind: "not-applicable" };

/**
 * A new customer's first message (or a known customer's first on this channel) in one atomic
 * statement, where the transactional path takes a dozen round trips: contact, ticket (next
 * number, SLA due times and its first message's counters), its history entry, event, message,
 * delivery, and the `ticket.assign` job, enqueued only when someone could take the ticket now
 * (otherwise it waits in the backlog that the drain and the cron's sweep hand out). Rows come
 * from the builders the transactional path uses.
 *
 * Anything else answers "not-applicable" having written nothing but the contact, and takes the
 * transactional path: an active ticket (pending: the fast path took open ones), a resolved one
 * within the reopen window, an event key already stored (a redelivery), or a ticket created
 * meanwhile by a concurrent message of the same customer (the insert meets the active-ticket
 * index and yields nothing, so neither does anything after it).
 */
export async function openConversation(
  db: Database,
  channel: IngestChannel,
  event: InboundMessageEvent,
  raw: unknown,
  delivery: Delivery,
  ignored: number,
): Promise<NewConversation> {
  if (!event.from.phone || channel.notify || delivery.replay) return { kind: "not-applicable" };
  // From the per-isolate cache: a round trip only when this isolate has not read the queue lately.
  const policy = await cachedPolicy(db, channel.queueId);
  try {
    const { rows } = await db.execute<{
      ticket_id: string | null;
      jobs: DispatchableJob[] | null;
      guard: number | null;
    }>(newConversationStatement(channel, event.from.phone, event, raw, delivery, ignored, policy));
    const row = rows[0];
    if (!row?.ticket_id) return { kind: "not-applicable" };
    return { kind: "stored", jobs: row.jobs ?? [] };
  } catch (error) {
    if (isDatabaseError(error, "22012")) return { kind: "not-applicable" };
    throw error;
  }
}

/** The statement of openConversation (exported to test its plan). */
export function newConversationStatement(
  channel: IngestChannel,
  phone: string,
  event: InboundMessageEvent,
  raw: unknown,
  delivery: Delivery,
  ignored: number,
  policy: SlaPolicy,
) {
  const at = event.timestamp;
  const ticketId = uuidv7();
  const contactId = sql`(select id from contact)`;
  const reopenable =
    channel.reopenWindowHours > 0
      ? sql`or (t.status = 'resolved' and t.resolved_at > ${new Date(at.getTime() - channel.reopenWindowHours * 3600_000).toISOString()}::timestamptz)`
      : sql``;
  const ticket = {
    ...newTicketValues(
      { organizationId: channel.organizationId, contactId, channelId: channel.id, queueId: channel.queueId, at },
      policy,
    ),
    id: ticketId,
    // The first message's counters and the customer's wait (src/sla), which the transactional
    // path adds by an update.
    lastMessageAt: at,
    lastInboundAt: at,
    unreadCount: 1,
    waitingSince: at,
  };
  const opened = sql`where exists (select 1 from ticket)`;
  const stored = sql`where exists (select 1 from event)`;
  return prepared(sql`
    with blocked as (
      -- The known contact's id as a scalar, not a join: an index lookup of its tickets whatever
      -- the statistics (joined, an unanalyzed table's plan scanned the channel's open tickets).
      select 1 from ${tickets} t
      where t.contact_id = (
          select c.id from ${contacts} c
          where c.organization_id = ${channel.organizationId} and c.phone = ${phone} and c.merged_into_id is null
        )
        and t.channel_id = ${channel.id} and (t.status in ('open', 'pending') ${reopenable})
      union all
      select 1 from ${interactionEvents}
      where provider = ${channel.provider} and idempotency_key = ${event.idempotencyKey}
    ),
    contact as (
      ${insertSelect(
        contacts,
        phoneContactValues(
          {
            organizationId: channel.organizationId,
            phone,
            name: event.from.name,
            phoneVerified: event.from.phoneVerified !== false,
          },
          at,
        ),
        sql`where not exists (select 1 from blocked)`,
      )}
      -- upsertPhoneContact's rule on inbound (src/contacts/service.ts).
      on conflict (organization_id, phone) where phone is not null and merged_into_id is null do update set
        name = coalesce(contacts.name, excluded.name),
        phone_verified = contacts.phone_verified or excluded.phone_verified,
        last_inbound_at = excluded.last_inbound_at
      returning id
    ),
    ticket as (
      ${insertSelect(tickets, ticket, sql`where exists (select 1 from contact)`)}
      on conflict (channel_id, contact_id) where status in ('open', 'pending') do nothing
      returning id
    ),
    history as (
      ${insertSelect(
        ticketHistory,
        historyRow(
          { organizationId: channel.organizationId, ticketId, actor: { type: "contact" }, action: "created" },
          contactId,
        ),
        opened,
      )}
      returning id
    ),
    event as (
      ${eventInsert(interactionEventRow(channel, event, raw), opened)}
    ),
    message as (
      ${insertSelect(messages, inboundMessageRow(channel, event, ticketId, contactId), stored)}
      returning id
    ),
    job as (
      ${insertSelect(
        outbox,
        outboxValues(assignJob(channel.organizationId, ticketId)),
        sql`${stored} and ${someoneCanTake(channel.organizationId, channel.queueId)}`,
      )}
      returning id, name, payload, max_attempts
    ),
    delivery as (
      ${insertSelect(
        webhookEvents,
        deliveryRow(channel, delivery, {
          status: "stored",
          reason: null,
          result: { messages: 1, statuses: 0, duplicates: 0, ignored },
        }),
        stored,
      )}
      returning id
    )
    select (select id from ticket) as ticket_id,
      (select json_agg(json_build_object('id', id, 'name', name, 'payload', payload, 'maxAttempts', max_attempts)) from job) as jobs,
      -- A ticket whose event was a duplicate after all (stored by a concurrent delivery after
      -- this statement's snapshot) must not commit without its message: dividing by zero
      -- aborts the whole statement, and the transactional path takes the body.
      case when exists (select 1 from ticket) then 1 / (select count(*)::int from event) end as guard`);
}
