import { eq } from "drizzle-orm";
import { assignJob } from "@/assignment/enqueue";
import { aiTicketState, channels, tickets } from "@/db/schema";
import type { NewJob } from "@/jobs/outbox";
import type { Transaction } from "@/platform/db";
import { recordHistory } from "@/tickets/history";
import type { Handoff } from "./handoff";

// Apart from handoff.ts (which sends the hand-off text) so that ingest, which releases a ticket
// when there is no model, does not carry the outbound path and every channel adapter with it.

/**
 * The bot lets go of a ticket for good (until an agent hands it back): the ticket moves to the
 * agent's hand-off queue (or its channel's) with the reason on its history, and normal
 * assignment runs. Returns the assignment job for the caller to enqueue.
 */
export async function releaseTicket(tx: Transaction, handoff: Omit<Handoff, "text">): Promise<NewJob[]> {
  const { ticket, agent, reason } = handoff;
  await tx
    .update(aiTicketState)
    .set({ enabled: false, handedOffAt: new Date(), handoffReason: reason, lockedUntil: null, lockedBy: null })
    .where(eq(aiTicketState.ticketId, ticket.id));
  const [channel] = ticket.channelId
    ? await tx.select({ queueId: channels.queueId }).from(channels).where(eq(channels.id, ticket.channelId))
    : [];
  const queueId = agent?.handoffQueueId ?? channel?.queueId ?? ticket.queueId;
  const changes: Record<string, { before: unknown; after: unknown }> = { reason: { before: null, after: reason } };
  if (queueId !== ticket.queueId) {
    await tx.update(tickets).set({ queueId }).where(eq(tickets.id, ticket.id));
    changes.queueId = { before: ticket.queueId, after: queueId };
  }
  await recordHistory(tx, {
    organizationId: ticket.organizationId,
    ticketId: ticket.id,
    actor: { type: "ai", id: agent?.id },
    action: "handed_off",
    changes,
  });
  return ticket.assigneeId ? [] : [assignJob(ticket.organizationId, ticket.id)];
}
