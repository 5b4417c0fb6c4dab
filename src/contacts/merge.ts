import { and, eq, inArray, isNotNull, sql } from "drizzle-orm";
import type { AuditRequest } from "@/audit/context";
import { auditDiff } from "@/audit/diff";
import { calls, contactIdentities, contacts, interactionEvents, leads, messages, tickets } from "@/db/schema";
import { audit } from "@/platform/audit";
import type { Database, Transaction } from "@/platform/db";
import { ApiError } from "@/platform/errors";
import type { Principal } from "@/platform/principal";
import { ticketIsActive } from "@/tickets/active";
import { type Actor, actorOf, recordHistory } from "@/tickets/history";

type MergeSide = { organizationId: string; primaryId: string; duplicateId: string };

/**
 * One active ticket per channel and contact is a unique index, so where both contacts talk on the
 * same channel the duplicate's conversation is resolved before it moves; the primary's stays live.
 */
async function resolveClashingTickets(tx: Transaction, side: MergeSide, actor: Actor, now: Date) {
  const primaryChannels = tx
    .select({ channelId: tickets.channelId })
    .from(tickets)
    .where(and(eq(tickets.contactId, side.primaryId), ticketIsActive, isNotNull(tickets.channelId)));
  const clashing = await tx
    .select({ id: tickets.id, status: tickets.status })
    .from(tickets)
    .where(
      and(
        eq(tickets.organizationId, side.organizationId),
        eq(tickets.contactId, side.duplicateId),
        ticketIsActive,
        inArray(tickets.channelId, primaryChannels),
      ),
    );
  for (const ticket of clashing) {
    await tx.update(tickets).set({ status: "resolved", resolvedAt: now }).where(eq(tickets.id, ticket.id));
    await recordHistory(tx, {
      organizationId: side.organizationId,
      ticketId: ticket.id,
      actor,
      action: "resolved",
      changes: {
        status: { before: ticket.status, after: "resolved" },
        resolvedAt: { before: null, after: now.toISOString() },
      },
    });
  }
  return clashing.map((t) => t.id);
}

async function moveRows(tx: Transaction, side: MergeSide, actor: Actor) {
  const movedTickets = await tx
    .update(tickets)
    .set({ contactId: side.primaryId })
    .where(and(eq(tickets.organizationId, side.organizationId), eq(tickets.contactId, side.duplicateId)))
    .returning({ id: tickets.id });
  await recordHistory(
    tx,
    movedTickets.map((t) => ({
      organizationId: side.organizationId,
      ticketId: t.id,
      actor,
      action: "contact_merged" as const,
      changes: { contactId: { before: side.duplicateId, after: side.primaryId } },
    })),
  );
  const to = { contactId: side.primaryId };
  const count = (result: { rowCount: number | null }) => result.rowCount ?? 0;
  const { organizationId, duplicateId } = side;
  return {
    tickets: movedTickets.length,
    messages: count(
      await tx
        .update(messages)
        .set(to)
        .where(and(eq(messages.organizationId, organizationId), eq(messages.contactId, duplicateId))),
    ),
    calls: count(
      await tx
        .update(calls)
        .set(to)
        .where(and(eq(calls.organizationId, organizationId), eq(calls.contactId, duplicateId))),
    ),
    leads: count(
      await tx
        .update(leads)
        .set(to)
        .where(
          and(
            eq(leads.organizationId, organizationId),
            eq(leads.contactId, duplicateId),
            // One lead per contact: the primary's own lead wins; the duplicate's stays with it.
            sql`not exists (select 1 from ${leads} l where l.organization_id = ${organizationId} and l.contact_id = ${side.primaryId})`,
          ),
        ),
    ),
    identities: count(
      await tx
        .update(contactIdentities)
        .set(to)
        .where(and(eq(contactIdentities.organizationId, organizationId), eq(contactIdentities.contactId, duplicateId))),
    ),
    // External systems' events about the contact (custom webhooks), so its timeline keeps them.
    events: count(
      await tx
        .update(interactionEvents)
        .set(to)
        .where(and(eq(interactionEvents.organizationId, organizationId), eq(interactionEvents.contactId, duplicateId))),
    ),
  };
}

const earliest = (a: Date | null, b: Date | null) => (a && b ? (a < b ? a : b) : (a ?? b));
const latest = (a: Date | null, b: Date | null) => (a && b ? (a > b ? a : b) : (a ?? b));

/**
 * Folds `duplicateId` into `primaryId` atomically: its conversations, calls, leads, identities and
 * external events move over, gaps in the primary's details are filled, and the duplicate stays behind as a
 * tombstone pointing at the primary.
 */
export async function mergeContacts(
  db: Database,
  principal: Principal,
  primaryId: string,
  duplicateId: string,
  request?: AuditRequest,
) {
  const side: MergeSide = { organizationId: principal.organizationId, primaryId, duplicateId };
  if (primaryId === duplicateId) throw new ApiError("CONFLICT", "A contact cannot be merged with itself.");
  return db.transaction(async (tx) => {
    // Locked in id order so two merges over the same pair queue up instead of deadlocking.
    const rows = await tx
      .select()
      .from(contacts)
      .where(and(eq(contacts.organizationId, side.organizationId), inArray(contacts.id, [primaryId, duplicateId])))
      .orderBy(contacts.id)
      .for("update");
    const primary = rows.find((r) => r.id === primaryId);
    const duplicate = rows.find((r) => r.id === duplicateId);
    if (!primary || !duplicate) throw new ApiError("NOT_FOUND", "No such contact in this organization.");
    for (const contact of [primary, duplicate]) {
      if (contact.mergedIntoId) {
        throw new ApiError("CONFLICT", `Contact ${contact.id} was already merged into ${contact.mergedIntoId}.`);
      }
    }
    const actor = actorOf(principal);
    const now = new Date();
    const resolvedTicketIds = await resolveClashingTickets(tx, side, actor, now);
    const moved = await moveRows(tx, side, actor);
    // The duplicate gives up its phone first: the primary may take it, and the index is unique.
    await tx.update(contacts).set({ mergedIntoId: primaryId, phone: null }).where(eq(contacts.id, duplicateId));
    const merged = {
      name: primary.name || duplicate.name,
      email: primary.email || duplicate.email,
      phone: primary.phone || duplicate.phone,
      metadata: { ...duplicate.metadata, ...primary.metadata },
      // An opt-out given under either record still binds the person.
      optOut: primary.optOut || duplicate.optOut,
      optOutAt: primary.optOut || duplicate.optOut ? earliest(primary.optOutAt, duplicate.optOutAt) : null,
      lastInboundAt: latest(primary.lastInboundAt, duplicate.lastInboundAt),
    };
    await tx.update(contacts).set(merged).where(eq(contacts.id, primaryId));
    await audit(tx, {
      organizationId: side.organizationId,
      actor: principal,
      action: "contact.merged",
      targetType: "contact",
      targetId: primaryId,
      ...request,
      diff: auditDiff(primary, merged, { fields: ["name", "email", "phone", "optOut"] }),
      metadata: { duplicateId, moved, resolvedTicketIds },
    });
    return { moved, resolvedTicketIds };
  });
}
