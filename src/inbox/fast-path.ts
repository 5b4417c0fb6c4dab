import { sql } from "drizzle-orm";
import type { InboundMessageEvent } from "@/channels/types";
import { insertSelect } from "@/db/insert-select";
import { prepared } from "@/db/prepared";
import { contacts, messages, tickets, webhookEvents } from "@/db/schema";
import type { Database } from "@/platform/db";
import { deliveryRow, eventInsert, inboundMessageRow, interactionEventRow } from "./rows";
import type { Delivery, IngestChannel } from "./types";

export type FastPathResult = "stored" | "duplicate" | "not-applicable";

/**
 * The common case of an inbound message in one statement: a customer with an open ticket on the
 * channel writes again. Delivery, event, message, ticket counters and the contact's last-inbound
 * time are written by one atomic statement (one round trip instead of a transaction's six), from
 * the same row builders as the transactional path. Anything else (a new conversation, a pending or
 * resolved ticket, a sender known by identity or by an unverified number, an organization whose
 * events webhook needs a job, a replay) answers "not-applicable" having written nothing, and
 * takes the transactional path.
 */
export async function ingestIntoOpenTicket(
  db: Database,
  channel: IngestChannel,
  event: InboundMessageEvent,
  raw: unknown,
  delivery: Delivery,
  ignored: number,
): Promise<FastPathResult> {
  if (!event.from.phone || event.from.phoneVerified === false || channel.notify || delivery.replay) {
    return "not-applicable";
  }
  const { rows } = await db.execute<{
    ticket_id: string | null;
    event_id: string | null;
    message_id: string | null;
  }>(openTicketStatement(channel, event, raw, delivery, ignored));
  const row = rows[0];
  if (!row?.ticket_id) return "not-applicable";
  return row.event_id ? "stored" : "duplicate";
}

/** The statement of ingestIntoOpenTicket, for a sender with a phone (exported to test its plan). */
export function openTicketStatement(
  channel: IngestChannel,
  event: InboundMessageEvent,
  raw: unknown,
  delivery: Delivery,
  ignored: number,
) {
  const at = event.timestamp;
  const opened = sql`where exists (select 1 from open_ticket)`;
  return prepared(sql`
    with contact as (
      select c.id from ${contacts} c
      where c.organization_id = ${channel.organizationId} and c.phone = ${event.from.phone} and c.merged_into_id is null
      for update
    ),
    open_ticket as (
      -- The contact is locked before the ticket (its CTE runs first, for the ticket's index key),
      -- as the other ingest paths take them: locking the ticket first and the contact by its
      -- update below deadlocked with a concurrent message of the same customer on the
      -- transactional path. The contact's id is a scalar, not a join, so the ticket is one index
      -- lookup on (channel_id, contact_id) whatever the statistics: joined, a planner without
      -- them (never analyzed) scanned every open ticket of the channel for each message.
      select t.id as ticket_id, t.contact_id
      from ${tickets} t
      where t.channel_id = ${channel.id} and t.contact_id = (select id from contact) and t.status = 'open'
      for update
    ),
    event as (
      ${eventInsert(interactionEventRow(channel, event, raw), opened)}
    ),
    message as (
      ${insertSelect(
        messages,
        inboundMessageRow(
          channel,
          event,
          sql`(select ticket_id from open_ticket)`,
          sql`(select contact_id from open_ticket)`,
        ),
        sql`where exists (select 1 from event)`,
      )}
      on conflict (channel_id, provider_message_id) do nothing
      returning id, ticket_id, contact_id
    ),
    delivery as (
      ${insertSelect(
        webhookEvents,
        deliveryRow(channel, delivery, {
          status: sql`case when exists (select 1 from event) then 'stored' else 'duplicate' end`,
          reason: null,
          result: sql`jsonb_build_object('messages', (select count(*) from event), 'statuses', 0,
            'duplicates', 1 - (select count(*) from event), 'ignored', ${ignored}::int)`,
        }),
        opened,
      )}
      returning id
    ),
    ticket_touch as (
      update ${tickets} set
        last_message_at = greatest(last_message_at, ${at}),
        last_inbound_at = greatest(last_inbound_at, ${at}),
        unread_count = unread_count + 1,
        waiting_since = coalesce(waiting_since, ${at}), -- SLA: the customer waits for an answer (src/sla)
        updated_at = now()
      where tickets.id = (select ticket_id from message)
      returning tickets.id
    ),
    contact_touch as (
      update ${contacts} set
        last_inbound_at = ${at},
        name = coalesce(contacts.name, ${event.from.name ?? null}),
        updated_at = now()
      -- By a scalar key too: joined to the message, an unanalyzed contacts table was scanned whole.
      where contacts.id = (select contact_id from message)
      returning contacts.id
    )
    -- Data-modifying WITH clauses run to completion whether or not the final select reads them.
    select (select ticket_id from open_ticket) as ticket_id,
           (select id from event) as event_id,
           (select id from message) as message_id`);
}
