import { and, eq, sql } from "drizzle-orm";
import { aiAgentChannels, aiAgents, aiTicketState, messages, tickets } from "@/db/schema";
import type { QueuedJob } from "@/jobs/outbox";
import { enqueue } from "@/jobs/outbox";
import type { Database } from "@/platform/db";
import { isActive } from "@/tickets/active";
import type { TicketRow } from "@/tickets/schemas";
import type { AiAgentRow } from "../agents/schemas";
import { lockTicketFirst } from "../locks";
import { releaseTicket } from "../release";

type StateRow = typeof aiTicketState.$inferSelect;

/** A reply the job may generate: the ticket is leased to it, every inbound message up to `coverUpTo` is its to answer. */
export type Turn = { state: StateRow; ticket: TicketRow; agent: AiAgentRow; coverUpTo: string };

export type Claim =
  | { kind: "claimed"; turn: Turn }
  /** Nothing to do now; someone else answers (a newer job, the reply being generated) or nobody should. */
  | { kind: "skipped"; reason: string; jobs?: QueuedJob[] }
  /** The quiet period after the newest message is not over yet. */
  | { kind: "early"; seconds: number };

/**
 * Takes the ticket's turn for the job of inbound message `messageId`, under the state row's lock:
 * only the job of the newest message answers, only after the agent's quiet period, and only one
 * reply per ticket is generated at a time (a lease, so a crashed job does not hold it forever).
 * A message that comes in meanwhile is left to the reply being generated, which schedules the
 * next one when it finishes.
 */
export async function claimTurn(
  db: Database,
  job: { ticketId: string; messageId: string; jobId: string },
  leaseSeconds: number,
): Promise<Claim> {
  return db.transaction(async (tx) => {
    await lockTicketFirst(tx, job.ticketId);
    const [row] = await tx
      .select({
        state: aiTicketState,
        ticket: tickets,
        agent: aiAgents,
        covered: sql<boolean>`exists (select 1 from ${aiAgentChannels} ac where ac.agent_id = ${aiAgents.id}
          and ac.channel_id = ${tickets.channelId} and ac.active)`,
        leased: sql<boolean>`coalesce(${aiTicketState.lockedUntil} > now(), false)`,
        quietIn: sql<number>`coalesce(extract(epoch from ${aiTicketState.lastInboundAt}
          + make_interval(secs => ${aiAgents.debounceSeconds}) - now()), 0)::float8`,
        voicePending: sql<boolean>`exists (select 1 from ${messages} m where m.ticket_id = ${tickets.id}
          and m.direction = 'inbound' and m.transcript_status = 'pending'
          and (${aiTicketState.lastRepliedMessageId} is null or m.id > ${aiTicketState.lastRepliedMessageId}))`,
        personReplied: sql<boolean>`exists (select 1 from ${messages} m where m.ticket_id = ${tickets.id}
          and m.direction = 'outbound' and m.sender_type = 'user' and m.created_at > ${aiTicketState.takenAt})`,
      })
      .from(aiTicketState)
      .innerJoin(tickets, eq(tickets.id, aiTicketState.ticketId))
      .innerJoin(aiAgents, eq(aiAgents.id, aiTicketState.agentId))
      .where(eq(aiTicketState.ticketId, job.ticketId))
      .for("update", { of: aiTicketState });
    if (!row) return { kind: "skipped", reason: "no bot on this ticket" };
    const { state, ticket, agent } = row;
    if (!state.enabled) return { kind: "skipped", reason: `handed off (${state.handoffReason})` };
    if (ticket.assigneeId) return { kind: "skipped", reason: "a person is assigned" };
    if (!isActive(ticket.status)) return { kind: "skipped", reason: `ticket ${ticket.status}` };
    if (!agent.active || !row.covered) return { kind: "skipped", reason: "no active agent covers the channel" };
    if (state.lastRepliedMessageId && job.messageId <= state.lastRepliedMessageId) {
      return { kind: "skipped", reason: "already answered" };
    }
    if (row.personReplied) {
      // A person answered the customer themselves: the bot does not talk over them.
      const jobs = await enqueue(tx, await releaseTicket(tx, { ticket, agent, reason: "human_replied" }));
      return { kind: "skipped", reason: "a person replied", jobs };
    }
    const latest = state.lastInboundMessageId ?? job.messageId;
    if (latest > job.messageId) return { kind: "skipped", reason: "a newer message's job answers" };
    if (row.leased) return { kind: "skipped", reason: "a reply is being generated; it schedules the next" };
    // The reply answers the voice note's words, not "[audio]": its transcription schedules the reply.
    if (row.voicePending)
      return { kind: "skipped", reason: "a voice note is being transcribed; it schedules the reply" };
    if (row.quietIn > 0) return { kind: "early", seconds: row.quietIn };
    const [leased] = await tx
      .update(aiTicketState)
      .set({ lockedUntil: sql`now() + make_interval(secs => ${leaseSeconds})`, lockedBy: job.jobId })
      .where(eq(aiTicketState.ticketId, ticket.id))
      .returning();
    return { kind: "claimed", turn: { state: leased ?? state, ticket, agent, coverUpTo: latest } };
  });
}

/** Gives the turn back after a failed attempt, so the retry (or the next message's job) can take it. */
export async function releaseTurn(db: Database, ticketId: string, jobId: string): Promise<void> {
  await db
    .update(aiTicketState)
    .set({ lockedUntil: null, lockedBy: null })
    .where(and(eq(aiTicketState.ticketId, ticketId), eq(aiTicketState.lockedBy, jobId)));
}
