import { and, eq, sql } from "drizzle-orm";
import type { Sender } from "@/channels/types";
import { contactIdentities, contacts } from "@/db/schema";
import type { Transaction } from "@/platform/db";

export type ContactRow = typeof contacts.$inferSelect;

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
    const [contact] = await tx
      .insert(contacts)
      .values({ organizationId, phone: from.phone, name: from.name ?? null, lastInboundAt: at })
      .onConflictDoUpdate({
        target: [contacts.organizationId, contacts.phone],
        targetWhere: sql`${contacts.phone} is not null and ${contacts.mergedIntoId} is null`,
        // A name the team typed wins over the provider's profile name.
        set: { name: sql`coalesce(${contacts.name}, excluded.name)`, lastInboundAt: at },
      })
      .returning();
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
