import { and, desc, eq, gt, sql } from "drizzle-orm";
import { organizations, queues, tickets } from "@/db/schema";
import type { Transaction } from "@/platform/db";
import { type Actor, recordHistory } from "@/tickets/history";

export type TicketRow = typeof tickets.$inferSelect;
type Channel = { id: string; organizationId: string; queueId: string | null; reopenWindowHours: number };

const ACTIVE = sql`${tickets.status} in ('open', 'pending')`;
const minutesAfter = (at: Date, minutes: number | null | undefined) =>
  minutes ? new Date(at.getTime() + minutes * 60_000) : null;

export async function slaPolicy(tx: Transaction, queueId: string | null) {
  if (!queueId) return { firstResponse: null, resolution: null };
  const [queue] = await tx
    .select({ firstResponse: queues.slaFirstResponseMinutes, resolution: queues.slaResolutionMinutes })
    .from(queues)
    .where(eq(queues.id, queueId));
  return queue ?? { firstResponse: null, resolution: null };
}

/** The next ticket number of an organization; the row lock keeps numbers unique and gap-free-ish. */
export async function nextTicketNumber(tx: Transaction, organizationId: string): Promise<number> {
  const [row] = await tx
    .update(organizations)
    .set({ ticketSeq: sql`${organizations.ticketSeq} + 1` })
    .where(eq(organizations.id, organizationId))
    .returning({ n: organizations.ticketSeq });
  if (!row) throw new Error("organization vanished");
  return row.n;
}

export async function createTicket(
  tx: Transaction,
  input: {
    organizationId: string;
    contactId: string;
    channelId: string | null;
    queueId: string | null;
    subject?: string | null;
    priority?: TicketRow["priority"];
    actor: Actor;
    at: Date;
  },
): Promise<TicketRow | undefined> {
  const sla = await slaPolicy(tx, input.queueId);
  const [created] = await tx
    .insert(tickets)
    .values({
      organizationId: input.organizationId,
      number: await nextTicketNumber(tx, input.organizationId),
      contactId: input.contactId,
      channelId: input.channelId,
      queueId: input.queueId,
      subject: input.subject ?? null,
      priority: input.priority ?? "normal",
      firstResponseDueAt: minutesAfter(input.at, sla.firstResponse),
      resolutionDueAt: minutesAfter(input.at, sla.resolution),
    })
    .onConflictDoNothing({ target: [tickets.channelId, tickets.contactId], where: ACTIVE })
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
 * The conversation an inbound message belongs to: the contact's active ticket on the channel;
 * else a resolved one reopened within the channel's window; else a new ticket.
 */
export async function ticketForInbound(
  tx: Transaction,
  channel: Channel,
  contactId: string,
  at: Date,
): Promise<{ ticket: TicketRow; opened: "existing" | "reopened" | "created" }> {
  const actor: Actor = { type: "contact", id: contactId };
  const activeWhere = and(eq(tickets.channelId, channel.id), eq(tickets.contactId, contactId), ACTIVE);
  const [active] = await tx.select().from(tickets).where(activeWhere).for("update");
  if (active) {
    if (active.status === "pending") {
      // The customer answered: the ticket is back on the team's plate.
      const [updated] = await tx.update(tickets).set({ status: "open" }).where(eq(tickets.id, active.id)).returning();
      await recordHistory(tx, {
        organizationId: channel.organizationId,
        ticketId: active.id,
        actor,
        action: "status_changed",
        changes: { status: { before: "pending", after: "open" } },
      });
      return { ticket: updated ?? active, opened: "existing" };
    }
    return { ticket: active, opened: "existing" };
  }

  if (channel.reopenWindowHours > 0) {
    const since = new Date(at.getTime() - channel.reopenWindowHours * 3600_000);
    const [recent] = await tx
      .select()
      .from(tickets)
      .where(
        and(
          eq(tickets.channelId, channel.id),
          eq(tickets.contactId, contactId),
          eq(tickets.status, "resolved"),
          gt(tickets.resolvedAt, since),
        ),
      )
      .orderBy(desc(tickets.resolvedAt))
      .limit(1)
      .for("update");
    if (recent) {
      const sla = await slaPolicy(tx, recent.queueId);
      const [reopened] = await tx
        .update(tickets)
        .set({
          status: "open",
          resolvedAt: null,
          resolutionDueAt: minutesAfter(at, sla.resolution),
          resolutionBreachedAt: null,
        })
        .where(eq(tickets.id, recent.id))
        .returning();
      await recordHistory(tx, {
        organizationId: channel.organizationId,
        ticketId: recent.id,
        actor,
        action: "reopened",
        changes: { status: { before: "resolved", after: "open" } },
      });
      if (reopened) return { ticket: reopened, opened: "reopened" };
    }
  }

  const created = await createTicket(tx, {
    organizationId: channel.organizationId,
    contactId,
    channelId: channel.id,
    queueId: channel.queueId,
    actor,
    at,
  });
  if (created) return { ticket: created, opened: "created" };
  // Lost a race with a concurrent delivery that created it first.
  const [winner] = await tx.select().from(tickets).where(activeWhere).for("update");
  if (!winner) throw new Error("active ticket neither created nor found");
  return { ticket: winner, opened: "existing" };
}
