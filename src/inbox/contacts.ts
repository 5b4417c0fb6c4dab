import { and, eq, sql } from "drizzle-orm";
import type { Sender } from "@/channels/types";
import { upsertPhoneContact } from "@/contacts/service";
import { contactIdentities, contacts, tickets } from "@/db/schema";
import type { Transaction } from "@/platform/db";
import { ticketIsActive } from "@/tickets/active";

export type ContactRow = typeof contacts.$inferSelect;
type ActiveTicket = { id: string; status: "open" | "pending"; assigneeId: string | null };

function phoneUpsert(tx: Transaction, organizationId: string, from: Sender & { phone: string }, at: Date) {
  const contact = { organizationId, phone: from.phone, name: from.name, phoneVerified: from.phoneVerified !== false };
  return upsertPhoneContact(tx, contact, at);
}

/**
 * The sender's contact (created on first contact) and their active ticket on the channel, locked,
 * if there is one. For phone senders this is one round trip: the upsert and the locking lookup
 * share a statement, which matters on the hot path of every inbound message.
 */
export async function contactWithActiveTicket(
  tx: Transaction,
  organizationId: string,
  channelId: string,
  from: Sender,
  at: Date,
): Promise<{ contactId: string; active: ActiveTicket | null }> {
  if (from.phone) {
    const upsert = phoneUpsert(tx, organizationId, { ...from, phone: from.phone }, at).returning({ id: contacts.id });
    const { rows } = await tx.execute<{
      contact_id: string;
      id: string | null;
      status: ActiveTicket["status"];
      assignee_id: string | null;
    }>(sql`
      with contact as (${upsert.getSQL()})
      select contact.id as contact_id, t.id, t.status, t.assignee_id
      from contact left join lateral (
        select id, status, assignee_id from ${tickets}
        where channel_id = ${channelId} and contact_id = contact.id and ${ticketIsActive}
        for update
      ) t on true`);
    const row = rows[0];
    if (!row) throw new Error("contact upsert returned nothing");
    return {
      contactId: row.contact_id,
      active: row.id ? { id: row.id, status: row.status, assigneeId: row.assignee_id } : null,
    };
  }
  const contact = await resolveContact(tx, organizationId, from, at);
  const [active] = await tx
    .select({ id: tickets.id, status: tickets.status, assigneeId: tickets.assigneeId })
    .from(tickets)
    .where(and(eq(tickets.channelId, channelId), eq(tickets.contactId, contact.id), ticketIsActive))
    .for("update");
  return { contactId: contact.id, active: (active as ActiveTicket | undefined) ?? null };
}

/**
 * The contact behind an inbound sender, created on first contact. Phone senders are unique per
 * organization by E.164; identity senders (Telegram) by (kind, external id).
 */
export async function resolveContact(
  tx: Transaction,
  organizationId: string,
  from: Sender,
  at: Date,
): Promise<ContactRow> {
  if (from.phone) {
    const [contact] = await phoneUpsert(tx, organizationId, { ...from, phone: from.phone }, at).returning();
    if (!contact) throw new Error("contact upsert returned nothing");
    return contact;
  }
  if (!from.identity) throw new Error("sender has neither phone nor identity");
  const { kind, externalId } = from.identity;
  // Serializes first contacts of the same identity: two concurrent updates must not make two contacts.
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`${organizationId}:${kind}:${externalId}`}))`);
  const [existing] = await tx
    .select({ contact: contacts })
    .from(contactIdentities)
    .innerJoin(contacts, eq(contacts.id, contactIdentities.contactId))
    .where(
      and(
        eq(contactIdentities.organizationId, organizationId),
        eq(contactIdentities.kind, kind),
        eq(contactIdentities.externalId, externalId),
      ),
    );
  if (existing) {
    const [updated] = await tx
      .update(contacts)
      .set({ lastInboundAt: at, name: sql`coalesce(${contacts.name}, ${from.name ?? null})` })
      .where(eq(contacts.id, existing.contact.id))
      .returning();
    return updated ?? existing.contact;
  }
  const [created] = await tx
    .insert(contacts)
    .values({ organizationId, name: from.name ?? null, lastInboundAt: at })
    .returning();
  if (!created) throw new Error("contact insert returned nothing");
  await tx.insert(contactIdentities).values({ organizationId, contactId: created.id, kind, externalId });
  return created;
}
