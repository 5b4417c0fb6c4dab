import type { HandoffReason } from "@/db/schema";
import { enqueue, type QueuedJob } from "@/jobs/outbox";
import { queueOutbound } from "@/outbound/queue";
import type { Transaction } from "@/platform/db";
import type { Env } from "@/platform/env";
import { ApiError } from "@/platform/errors";
import type { TicketRow } from "@/tickets/schemas";
import { releaseTicket } from "./release";

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
