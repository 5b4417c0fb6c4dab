import { and, desc, eq, gt } from "drizzle-orm";
import { tickets } from "@/db/schema";
import type { Transaction } from "@/platform/db";
import { reopenedSla } from "@/sla/policy";
import { ticketIsActive } from "@/tickets/active";
import { createTicket } from "@/tickets/create";
import { type Actor, recordHistory } from "@/tickets/history";
import type { TicketRow } from "@/tickets/schemas";

type Channel = { id: string; organizationId: string; queueId: string | null; reopenWindowHours: number };

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
  const activeWhere = and(eq(tickets.channelId, channel.id), eq(tickets.contactId, contactId), ticketIsActive);
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
      const [reopened] = await tx
        .update(tickets)
        // SLA (src/sla): a new cycle, its resolution clock started again.
        .set({ status: "open", resolvedAt: null, ...(await reopenedSla(tx, recent, at)) })
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
