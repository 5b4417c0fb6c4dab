import { sql } from "drizzle-orm";
import { v7 as uuidv7 } from "uuid";
import type { InboundMessageEvent } from "@/channels/types";
import type { Database } from "@/platform/db";
import type { IngestChannel } from "./ingest";

export type FastPathResult = "stored" | "duplicate" | "not-applicable";

/**
 * The common case of an inbound message in one statement: a customer with an open ticket on the
 * channel writes again. Event, message, ticket counters and the contact's last-inbound time are
 * written by one atomic statement (one round trip instead of a transaction's six). Anything else
 * (a new conversation, a pending or resolved ticket, a sender known by identity, an organization
 * whose events webhook needs a job) answers "not-applicable" having written nothing, and takes
 * the transactional path.
 */
export async function ingestIntoOpenTicket(
  db: Database,
  channel: IngestChannel,
  event: InboundMessageEvent,
  raw: unknown,
): Promise<FastPathResult> {
  if (!event.from.phone || channel.notify) return "not-applicable";
  const at = event.timestamp;
  const eventType = `message.${event.type}`;
  const normalized = { type: event.type, providerMessageId: event.providerMessageId };
  const json = (value: unknown) => (value === undefined || value === null ? null : JSON.stringify(value));
  const { rows } = await db.execute<{
    ticket_id: string | null;
    event_id: string | null;
    message_id: string | null;
  }>(sql`
    with open_ticket as (
      select t.id as ticket_id, c.id as contact_id
      from contacts c join tickets t on t.contact_id = c.id
      where c.organization_id = ${channel.organizationId} and c.phone = ${event.from.phone} and c.merged_into_id is null
        and t.channel_id = ${channel.id} and t.status = 'open'
      for update of t
    ),
    event as (
      insert into interaction_events (id, organization_id, channel_id, provider, event_type, idempotency_key, payload, normalized, processed_at)
      select ${uuidv7()}, ${channel.organizationId}, ${channel.id}, ${channel.provider}, ${eventType}, ${event.idempotencyKey},
             ${JSON.stringify(raw)}::jsonb, ${JSON.stringify(normalized)}::jsonb, now()
      from open_ticket
      on conflict (provider, idempotency_key) do nothing
      returning id
    ),
    message as (
      insert into messages (id, organization_id, ticket_id, channel_id, contact_id, direction, type, body, media, content,
                            provider_message_id, status, sender_type, created_at, updated_at)
      select ${uuidv7()}, ${channel.organizationId}, open_ticket.ticket_id, ${channel.id}, open_ticket.contact_id, 'inbound',
             ${event.type}, ${event.text ?? null}, ${json(event.media)}::jsonb, ${json(event.content)}::jsonb,
             ${event.providerMessageId}, 'received', 'contact', ${at}, now()
      from open_ticket where exists (select 1 from event)
      on conflict (channel_id, provider_message_id) do nothing
      returning id, ticket_id, contact_id
    ),
    ticket_touch as (
      update tickets set
        last_message_at = greatest(last_message_at, ${at}),
        last_inbound_at = greatest(last_inbound_at, ${at}),
        unread_count = unread_count + 1,
        updated_at = now()
      from message where tickets.id = message.ticket_id
      returning tickets.id
    ),
    contact_touch as (
      update contacts set
        last_inbound_at = ${at},
        name = coalesce(contacts.name, ${event.from.name ?? null}),
        updated_at = now()
      from message where contacts.id = message.contact_id
      returning contacts.id
    )
    -- Data-modifying WITH clauses run to completion whether or not the final select reads them.
    select (select ticket_id from open_ticket) as ticket_id,
           (select id from event) as event_id,
           (select id from message) as message_id`);
  const row = rows[0];
  if (!row?.ticket_id) return "not-applicable";
  return row.event_id ? "stored" : "duplicate";
}
