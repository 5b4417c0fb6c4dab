import { eq } from "drizzle-orm";
import { assignJob } from "@/assignment/enqueue";
import { aiTicketState, channels, type HandoffReason, tickets } from "@/db/schema";
import { enqueue, type NewJob, type QueuedJob } from "@/jobs/outbox";
import { queueOutbound } from "@/outbound/queue";
import type { Transaction } from "@/platform/db";
import type { Env } from "@/platform/env";
import { ApiError } from "@/platform/errors";
import { recordHistory } from "@/tickets/history";
import type { TicketRow } from "@/tickets/schemas";

export type Handoff = {
  ticket: TicketRow;
  agent: { id: string; handoffQueueId: string | null } | null;
  reason: HandoffReason;
  /** What the customer is told (in their language); null hands off without a word. */
  text: string | null;
};

/**
 * Gives a ticket from the bot to people, in the caller's transaction: the hand-off text goes out
 * like any reply, then the ticket is released (releaseTicket). Returns the jobs to dispatch after
 * the commit.
 */
export async function handOff(tx: Transaction, env: Env, handoff: Handoff): Promise<QueuedJob[]> {
  const { ticket, agent } = handoff;
  const jobs: QueuedJob[] = [];
  if (handoff.text && agent) {
    try {
      const author = { type: "ai" as const, id: agent.id, organizationId: ticket.organizationId };
      jobs.push(...(await queueOutbound(tx, env, author, ticket.id, { type: "text", text: handoff.text })).jobs);
    } catch (error) {
      // The channel cannot take a message now (inactive, window closed): people still get the ticket.
      if (!(error instanceof ApiError)) throw error;
    }
  }
  return [...jobs, ...(await enqueue(tx, await releaseTicket(tx, handoff)))];
}

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
