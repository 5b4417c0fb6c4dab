import { and, eq, isNull, or } from "drizzle-orm";
import { aiAgents, aiTicketState, messages, type TranscriptStatus, tickets } from "@/db/schema";
import { enqueue, type NewJob, type QueuedJob } from "@/jobs/outbox";
import type { Database } from "@/platform/db";
import type { Env } from "@/platform/env";
import { isActive } from "@/tickets/active";
import { recordHistory } from "@/tickets/history";
import { handOff } from "../handoff";
import { guessLanguage, handoffText } from "../handoff-rules";
import { lockTicketFirst } from "../locks";
import { recentInboundTexts } from "../reply/context";
import { replyJob } from "../reply/enqueue";

export type TranscriptOutcome =
  | { status: "done"; transcript: string }
  | { status: "not_configured" }
  | { status: Exclude<TranscriptStatus, "done" | "pending" | "not_configured">; reason: string };

/**
 * Stores what became of a voice note, once (a redelivery finds it settled and changes nothing),
 * and what follows on the bot's ticket: with a transcript (or without a model, which the reply
 * turns into a hand-off) the reply it waited for is scheduled; a voice note that cannot be
 * transcribed is on the ticket's history and hands the ticket to people, the customer told only
 * that a person will continue.
 */
export async function settleTranscript(
  db: Database,
  env: Env,
  message: { id: string; ticketId: string; organizationId: string },
  outcome: TranscriptOutcome,
): Promise<{ settled: boolean; jobs: QueuedJob[] }> {
  return db.transaction(async (tx) => {
    await lockTicketFirst(tx, message.ticketId);
    const [stored] = await tx
      .update(messages)
      .set({ transcriptStatus: outcome.status, transcript: outcome.status === "done" ? outcome.transcript : null })
      .where(
        and(
          eq(messages.id, message.id),
          isNull(messages.transcript),
          or(isNull(messages.transcriptStatus), eq(messages.transcriptStatus, "pending")),
        ),
      )
      .returning({ id: messages.id });
    if (!stored) return { settled: false, jobs: [] };
    const failed = outcome.status !== "done" && outcome.status !== "not_configured";
    if (failed) {
      await recordHistory(tx, {
        organizationId: message.organizationId,
        ticketId: message.ticketId,
        actor: { type: "system" },
        action: "transcription_failed",
        changes: {
          reason: { before: null, after: `${outcome.status}: ${outcome.reason}`.slice(0, 1000) },
          messageId: { before: null, after: message.id },
        },
      });
    }
    const [held] = await tx
      .select({
        state: aiTicketState,
        ticket: tickets,
        agent: { id: aiAgents.id, handoffQueueId: aiAgents.handoffQueueId, debounceSeconds: aiAgents.debounceSeconds },
      })
      .from(aiTicketState)
      .innerJoin(tickets, eq(tickets.id, aiTicketState.ticketId))
      .leftJoin(aiAgents, eq(aiAgents.id, aiTicketState.agentId))
      .where(and(eq(aiTicketState.ticketId, message.ticketId), eq(aiTicketState.enabled, true)))
      .for("update", { of: aiTicketState });
    if (!held || held.ticket.assigneeId || !isActive(held.ticket.status)) return { settled: true, jobs: [] };
    const { state, ticket, agent } = held;
    if (failed) {
      const language = guessLanguage(await recentInboundTexts(tx, ticket.id));
      const reason = "transcription_failed" as const;
      return { settled: true, jobs: await handOff(tx, env, { ticket, agent, reason, text: handoffText(language) }) };
    }
    const latest = state.lastInboundMessageId ?? message.id;
    if (state.lastRepliedMessageId && latest <= state.lastRepliedMessageId) return { settled: true, jobs: [] };
    const quiet = (state.lastInboundAt?.getTime() ?? 0) + (agent?.debounceSeconds ?? 0) * 1000 - Date.now();
    const follow: NewJob[] = [replyJob(ticket, latest, quiet / 1000, `ai.reply:transcript:${message.id}`)];
    return { settled: true, jobs: await enqueue(tx, follow) };
  });
}
