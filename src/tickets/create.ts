import { type SQL, sql } from "drizzle-orm";
import type { PgInsertValue } from "drizzle-orm/pg-core";
import { assignJob } from "@/assignment/enqueue";
import { getChannel } from "@/channels/service";
import { getContact, upsertPhoneContact } from "@/contacts/service";
import { contacts, tickets } from "@/db/schema";
import { enqueue, type OutboxRow } from "@/jobs/outbox";
import type { Database, Transaction } from "@/platform/db";
import { ApiError } from "@/platform/errors";
import type { Principal } from "@/platform/principal";
import { getQueue } from "@/queues/service";
import { cachedPolicy, openingSla, type SlaPolicy } from "@/sla/policy";
import { ticketIsActive } from "./active";
import { type Actor, actorOf, recordHistory } from "./history";
import type { NewTicket, TicketRow } from "./schemas";

/**
 * The next ticket number of an organization, taken inside the insert. A sequence per organization
 * (migrations/0003) hands numbers out without a lock held to commit, so concurrent new
 * conversations of one organization do not wait for each other; a rollback leaves a gap.
 */
const nextTicketNumber = (organizationId: string) => sql<number>`next_ticket_number(${organizationId})`;

export type NewTicketInput = {
  organizationId: string;
  /** SQL when the statement that writes the ticket also writes the contact. */
  contactId: string | SQL;
  channelId: string | null;
  queueId: string | null;
  subject?: string | null;
  priority?: TicketRow["priority"];
  at: Date;
};

/**
 * A new ticket's row: the next number, taken by the insert itself, and the SLA clocks of the
 * queue's policy (src/sla: due and warning times, counting business hours when the policy says
 * so). Shared by createTicket and ingest's one-statement new conversation
 * (src/inbox/new-conversation.ts), which adds the counters of its first message.
 */
export function newTicketValues(input: NewTicketInput, policy: SlaPolicy): PgInsertValue<typeof tickets> {
  return {
    organizationId: input.organizationId,
    number: nextTicketNumber(input.organizationId),
    contactId: input.contactId,
    channelId: input.channelId,
    queueId: input.queueId,
    subject: input.subject ?? null,
    priority: input.priority ?? "normal",
    ...openingSla(policy, input.at),
  };
}

/**
 * Opens a ticket with the next number and the queue's SLA clocks. Returns nothing when the
 * contact already has an active ticket on the channel (one active conversation each).
 */
export async function createTicket(
  tx: Transaction,
  input: NewTicketInput & { contactId: string; actor: Actor },
): Promise<TicketRow | undefined> {
  const [created] = await tx
    .insert(tickets)
    .values(newTicketValues(input, await cachedPolicy(tx, input.queueId)))
    .onConflictDoNothing({ target: [tickets.channelId, tickets.contactId], where: ticketIsActive })
    .returning();
  if (created) {
    await recordHistory(tx, {
      organizationId: input.organizationId,
      ticketId: created.id,
      actor: input.actor,
      action: "created",
    });
  }
  return created;
}

/**
 * A ticket opened through the API to start an outbound conversation, with the job that assigns
 * it. The contact is given by id, or by phone (created if new).
 */
export async function openTicket(
  db: Database,
  principal: Principal,
  input: NewTicket,
): Promise<{ ticket: TicketRow; jobs: OutboxRow[] }> {
  const { organizationId } = principal;
  return db.transaction(async (tx) => {
    const channel = await getChannel(tx, organizationId, input.channelId);
    if (input.queueId) await getQueue(tx, organizationId, input.queueId);
    let contactId = input.contactId;
    if (contactId) {
      await getContact(tx, organizationId, contactId);
    } else if (input.phone) {
      const [contact] = await upsertPhoneContact(tx, {
        organizationId,
        phone: input.phone,
        name: input.name,
      }).returning({ id: contacts.id });
      contactId = contact?.id;
    }
    if (!contactId) throw new ApiError("BAD_REQUEST", "send contactId or phone");
    const created = await createTicket(tx, {
      organizationId,
      contactId,
      channelId: channel.id,
      queueId: input.queueId ?? channel.queueId,
      subject: input.subject,
      priority: input.priority,
      actor: actorOf(principal),
      at: new Date(),
    });
    if (!created) throw new ApiError("CONFLICT", "The contact already has an open ticket on this channel.");
    return { ticket: created, jobs: await enqueue(tx, [assignJob(organizationId, created.id)]) };
  });
}
