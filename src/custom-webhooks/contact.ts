import { and, eq } from "drizzle-orm";
import * as z from "zod";
import { contacts } from "@/db/schema";
import type { Executor } from "@/platform/db";
import { callerContact } from "@/voice/calls";

const uuid = z.uuid();
/** Merges are refused on a merged contact, but a primary can be merged later: a short chain at most. */
const MAX_MERGE_HOPS = 8;

/** What an event's body says about its contact: the organization's contact id, or a phone. */
export type ContactReference = { contactId: string | null; phone: string | null };

const asText = (value: unknown): string | null => {
  if (typeof value === "string") return value.trim() || null;
  return typeof value === "number" && Number.isSafeInteger(value) ? String(value) : null;
};

/** `contactId`, and `phone` or `contact.phone` (a string, or a number as a CRM may send it). */
export function contactReference(body: Record<string, unknown>): ContactReference {
  const id = asText(body.contactId);
  const contact = body.contact;
  const nested =
    contact !== null && typeof contact === "object" && !Array.isArray(contact)
      ? (contact as Record<string, unknown>).phone
      : undefined;
  return {
    contactId: id && uuid.safeParse(id).success ? id.toLowerCase() : null,
    phone: asText(body.phone) ?? asText(nested),
  };
}

/** The organization's contact with this id, or the live contact it was merged into. */
async function contactById(db: Executor, organizationId: string, id: string): Promise<string | null> {
  let current = id;
  for (let hop = 0; hop <= MAX_MERGE_HOPS; hop++) {
    const [row] = await db
      .select({ id: contacts.id, mergedIntoId: contacts.mergedIntoId })
      .from(contacts)
      .where(and(eq(contacts.organizationId, organizationId), eq(contacts.id, current)));
    if (!row) return null;
    if (!row.mergedIntoId) return row.id;
    current = row.mergedIntoId;
  }
  return null;
}

/**
 * The contact an event is about: its `contactId` when that is a contact of the organization (an id
 * of another organization, or of none, is ignored: never linked, never revealed); else its phone,
 * with the messaging rules (E.164, a Brazilian mobile with or without the ninth digit is one
 * contact), found or created as an inbound message or call would; else none.
 */
export async function linkedContact(db: Executor, organizationId: string, ref: ContactReference) {
  const byId = ref.contactId ? await contactById(db, organizationId, ref.contactId) : null;
  if (byId) return byId;
  return ref.phone ? callerContact(db, organizationId, ref.phone) : null;
}
