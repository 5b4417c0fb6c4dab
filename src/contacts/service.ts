import { and, count, desc, eq, ilike, isNull, like, lt, or, type SQL, sql } from "drizzle-orm";
import { contactIdentities, contacts, tickets } from "@/db/schema";
import type { Database, Executor } from "@/platform/db";
import { isUniqueViolation } from "@/platform/db-errors";
import { ApiError } from "@/platform/errors";
import { containing } from "@/platform/like";
import { normalizePhone } from "@/platform/phone";
import type { ContactRow, TicketCounts } from "./schemas";

export type ContactChanges = {
  name?: string | null;
  email?: string | null;
  phone?: string | null;
  optOut?: boolean;
  metadata?: Record<string, unknown>;
};

const PHONE_TAKEN = "Another contact in this organization already has this phone number; merge them instead.";

function searchCondition(q: string): SQL | undefined {
  const terms: (SQL | undefined)[] = [ilike(contacts.name, containing(q))];
  const e164 = normalizePhone(q);
  if (e164) terms.push(eq(contacts.phone, e164));
  // Only a query written like (part of) a phone number searches digits: "Ana 2" must not match
  // every phone containing a 2.
  const digits = q.replace(/\D/g, "");
  if (/^[\d\s()+.-]+$/.test(q) && digits.length >= 3) terms.push(like(contacts.phone, containing(digits)));
  return or(...terms);
}

export async function listContacts(
  db: Database,
  organizationId: string,
  page: { limit: number; after?: string; q?: string },
) {
  return db
    .select()
    .from(contacts)
    .where(
      and(
        eq(contacts.organizationId, organizationId),
        isNull(contacts.mergedIntoId),
        page.q ? searchCondition(page.q) : undefined,
        page.after ? lt(contacts.id, page.after) : undefined,
      ),
    )
    .orderBy(desc(contacts.id))
    .limit(page.limit + 1);
}

export async function getContact(db: Executor, organizationId: string, id: string): Promise<ContactRow> {
  const [row] = await db
    .select()
    .from(contacts)
    .where(and(eq(contacts.organizationId, organizationId), eq(contacts.id, id)));
  if (!row) throw new ApiError("NOT_FOUND", "No such contact in this organization.");
  return row;
}

export async function contactDetail(db: Executor, organizationId: string, id: string) {
  const contact = await getContact(db, organizationId, id);
  const identities = await db
    .select({ kind: contactIdentities.kind, externalId: contactIdentities.externalId })
    .from(contactIdentities)
    .where(and(eq(contactIdentities.organizationId, organizationId), eq(contactIdentities.contactId, id)))
    .orderBy(contactIdentities.id);
  const byStatus = await db
    .select({ status: tickets.status, n: count() })
    .from(tickets)
    .where(and(eq(tickets.organizationId, organizationId), eq(tickets.contactId, id)))
    .groupBy(tickets.status);
  const ticketCounts: TicketCounts = { total: 0, open: 0, pending: 0, resolved: 0, closed: 0 };
  for (const { status, n } of byStatus) {
    ticketCounts[status] = n;
    ticketCounts.total += n;
  }
  return { contact, identities, ticketCounts };
}

/**
 * The organization's contact with this phone, created if there is none (merged tombstones do not
 * count: the unique index covers live contacts only). An inbound message (`inboundAt`) also
 * records when the customer last wrote and fills in a missing name from their profile, while a
 * name the team typed wins. Returns the statement, for a `returning` or a CTE of the caller's.
 */
type PhoneContact = { organizationId: string; phone: string; name?: string | null; phoneVerified?: boolean };

/** A phone contact's row, for upsertPhoneContact and ingest's one-statement new conversation. */
export function phoneContactValues(contact: PhoneContact, inboundAt?: Date) {
  return { ...contact, name: contact.name ?? null, ...(inboundAt ? { lastInboundAt: inboundAt } : {}) };
}

export function upsertPhoneContact(db: Executor, contact: PhoneContact, inboundAt?: Date) {
  return db
    .insert(contacts)
    .values(phoneContactValues(contact, inboundAt))
    .onConflictDoUpdate({
      target: [contacts.organizationId, contacts.phone],
      targetWhere: sql`${contacts.phone} is not null and ${contacts.mergedIntoId} is null`,
      // DO UPDATE (never DO NOTHING) so that RETURNING yields the existing row too. On inbound, a
      // name the team typed wins over the provider's profile name, and a number once verified stays so.
      set: inboundAt
        ? {
            name: sql`coalesce(${contacts.name}, excluded.name)`,
            phoneVerified: sql`${contacts.phoneVerified} or excluded.phone_verified`,
            lastInboundAt: inboundAt,
          }
        : { updatedAt: new Date() },
    });
}

async function phoneUnique<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isUniqueViolation(error, "contacts_phone_key")) throw new ApiError("CONFLICT", PHONE_TAKEN);
    throw error;
  }
}

export async function createContact(
  db: Database,
  organizationId: string,
  input: { phone?: string; name?: string; email?: string },
) {
  const [row] = await phoneUnique(() =>
    db
      .insert(contacts)
      .values({ organizationId, phone: input.phone, name: input.name, email: input.email })
      .returning(),
  );
  if (!row) throw new Error("contact insert returned nothing");
  return row;
}

export async function updateContact(db: Database, organizationId: string, id: string, changes: ContactChanges) {
  return phoneUnique(() =>
    db.transaction(async (tx) => {
      const [before] = await tx
        .select()
        .from(contacts)
        .where(and(eq(contacts.organizationId, organizationId), eq(contacts.id, id)))
        .for("update");
      if (!before) throw new ApiError("NOT_FOUND", "No such contact in this organization.");
      if (before.mergedIntoId) {
        throw new ApiError("CONFLICT", `This contact was merged into ${before.mergedIntoId}; edit that contact.`);
      }
      const name = changes.name === undefined ? before.name : changes.name;
      const phone = changes.phone === undefined ? before.phone : changes.phone;
      if (!name && !phone) throw new ApiError("VALIDATION_FAILED", "A contact needs a phone number or a name.");
      const values: Partial<ContactRow> = { ...changes };
      // Opting out again keeps the original instant: it is the consent record.
      if (changes.optOut !== undefined && changes.optOut !== before.optOut) {
        values.optOutAt = changes.optOut ? new Date() : null;
      }
      const [after] = await tx.update(contacts).set(values).where(eq(contacts.id, id)).returning();
      if (!after) throw new Error("contact update returned nothing");
      return { before, after };
    }),
  );
}
