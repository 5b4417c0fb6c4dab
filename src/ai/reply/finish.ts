import { eq } from "drizzle-orm";
import { aiTicketState } from "@/db/schema";
import { enqueue, type NewJob, type QueuedJob } from "@/jobs/outbox";
import type { KnowledgeChunk } from "@/knowledge/retrieve";
import { queueOutbound } from "@/outbound/queue";
import type { Database } from "@/platform/db";
import type { Env } from "@/platform/env";
import { ApiError } from "@/platform/errors";
import { isActive } from "@/tickets/active";
import { recordHistory } from "@/tickets/history";
import { changeTicket, getTicket } from "@/tickets/service";
import { insightsOnResolve } from "../insights/enqueue";
import { mergeLead } from "../leads";
import { releaseTicket } from "../release";
import type { Turn } from "./claim";
import type { Outcome } from "./decide";
import { replyJob } from "./enqueue";
import type { LeadOutput } from "./output";

type Finished = { result: Record<string, unknown>; jobs: QueuedJob[] };

/**
 * Commits a reply if the turn is still this job's (locking the ticket, then the state, as ingest
 * does): the texts go out through the ticket's channel like an agent's (same window rules, same
 * send job), marked as the bot's; the answered messages, the lead and the lease are settled; a
 * hand-off or a close is applied. A message that came in during generation gets the next reply,
 * scheduled here.
 */
export async function finishTurn(
  db: Database,
  env: Env,
  turn: Turn,
  jobId: string,
  outcome: Outcome,
  lead: LeadOutput | null | undefined,
  sources: KnowledgeChunk[] = [],
): Promise<Finished> {
  const { agent, coverUpTo } = turn;
  return db.transaction(async (tx) => {
    const ticket = await getTicket(tx, turn.ticket.organizationId, turn.ticket.id, true);
    const [state] = await tx.select().from(aiTicketState).where(eq(aiTicketState.ticketId, ticket.id)).for("update");
    if (state?.lockedBy !== jobId) return { result: { discarded: "the turn's lease was lost" }, jobs: [] };
    const release = { lockedUntil: null, lockedBy: null };
    if (!state.enabled || ticket.assigneeId || !isActive(ticket.status)) {
      // A person took the ticket while the reply was written: the bot does not talk over them.
      await tx.update(aiTicketState).set(release).where(eq(aiTicketState.ticketId, ticket.id));
      return { result: { discarded: "taken over during generation" }, jobs: [] };
    }
    const author = { type: "ai" as const, id: agent.id, organizationId: ticket.organizationId };
    const jobs: QueuedJob[] = [];
    let sent = 0;
    let unsent: string | undefined;
    for (const text of outcome.texts) {
      try {
        jobs.push(...(await queueOutbound(tx, env, author, ticket.id, { type: "text", text })).jobs);
        sent += 1;
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        unsent = error.message;
        break;
      }
    }
    if (sent && sources.length) {
      // The passages the reply was written from, for whoever checks what the bot said and why.
      const used = sources.map((s) => ({ chunkId: s.id, articleId: s.articleId, title: s.title, score: s.score }));
      await recordHistory(tx, {
        organizationId: ticket.organizationId,
        ticketId: ticket.id,
        actor: { type: "ai", id: agent.id },
        action: "ai_knowledge_used",
        changes: { knowledge: { before: null, after: used } },
      });
    }
    if (lead) {
      const { organizationId, contactId } = ticket;
      jobs.push(...(await mergeLead(tx, { organizationId, contactId, ticketId: ticket.id, agentId: agent.id, lead })));
    }
    await tx
      .update(aiTicketState)
      .set({ ...release, lastRepliedMessageId: coverUpTo, lead: outcome.lead, stalledReplies: outcome.stalledReplies })
      .where(eq(aiTicketState.ticketId, ticket.id));

    const follow: NewJob[] = [];
    const newer =
      state.lastInboundMessageId && state.lastInboundMessageId > coverUpTo ? state.lastInboundMessageId : null;
    const handoff = unsent ? "cannot_send" : outcome.handoff;
    if (unsent) {
      await recordHistory(tx, {
        organizationId: ticket.organizationId,
        ticketId: ticket.id,
        actor: { type: "ai", id: agent.id },
        action: "ai_failed",
        changes: { error: { before: null, after: `reply not sent: ${unsent}` } },
      });
    }
    if (handoff) {
      follow.push(...(await releaseTicket(tx, { ticket, agent, reason: handoff })));
    } else if (newer) {
      const quiet = (state.lastInboundAt?.getTime() ?? 0) + agent.debounceSeconds * 1000 - Date.now();
      follow.push(replyJob(ticket, newer, quiet / 1000, `ai.reply:followup:${newer}`));
    } else if (outcome.close) {
      follow.push(...(await insightsOnResolve(tx, env, ticket)));
      await changeTicket(
        tx,
        ticket,
        { status: "resolved", resolvedAt: new Date() },
        { type: "ai", id: agent.id },
        "resolved",
      );
    }
    jobs.push(...(await enqueue(tx, follow)));
    const closed = Boolean(outcome.close && !handoff && !newer);
    return { result: { replies: sent, handoff, closed, next: newer }, jobs };
  });
}
