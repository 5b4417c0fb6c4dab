import { eq } from "drizzle-orm";
import * as z from "zod";
import { aiAgents, aiTicketState, tickets } from "@/db/schema";
import { defineJob } from "@/jobs/define";
import { dispatch } from "@/jobs/dispatch";
import { RetryableJobError } from "@/jobs/errors";
import type { QueuedJob } from "@/jobs/outbox";
import { retrieveKnowledge } from "@/knowledge/retrieve";
import type { Services } from "@/platform/services";
import { cleanText } from "@/platform/text";
import { recordHistory } from "@/tickets/history";
import type { ModelConnection } from "../client";
import { handOff } from "../handoff";
import { asksForHuman, guessLanguage, handoffText } from "../handoff-rules";
import { lockTicketFirst } from "../locks";
import { structuredCall } from "../model";
import { modelConnection } from "../model-access";
import { readAiSettings } from "../settings";
import { spentThisMonth } from "../usage/record";
import { type Claim, claimTurn, releaseTurn, type Turn } from "./claim";
import { loadReplyContext, messageText, recentInboundTexts } from "./context";
import { decide, type Outcome } from "./decide";
import { finishTurn } from "./finish";
import { replyOutput } from "./output";
import { replyPrompt } from "./prompt";

const payload = z.object({ ticketId: z.uuid(), messageId: z.uuid() });

/** A job that comes a moment early (QStash's delay is in whole seconds) waits here rather than a retry away. */
const MAX_INLINE_WAIT_S = 2;

/** Knowledge-base passages in a reply's prompt: about 1,000 tokens. */
const KNOWLEDGE_PASSAGES = 5;

async function claim(services: Services, job: { ticketId: string; messageId: string; jobId: string }) {
  const lease = services.env.OPENAI_TIMEOUT_SECONDS + 60;
  let claimed: Claim = await claimTurn(services.db, job, lease);
  if (claimed.kind === "early" && claimed.seconds <= MAX_INLINE_WAIT_S) {
    const wait = claimed.seconds * 1000 + 50;
    await new Promise((resolve) => setTimeout(resolve, wait));
    claimed = await claimTurn(services.db, job, lease);
  }
  if (claimed.kind === "early") {
    throw new RetryableJobError("the quiet period after the newest message is not over", Math.ceil(claimed.seconds));
  }
  return claimed;
}

/** The rules that hand off without asking the model: the customer wants a person, no model, no budget. */
async function handoffBeforeModel(services: Services, turn: Turn, texts: string[], connection: ModelConnection | null) {
  if (asksForHuman(texts)) return "contact_asked" as const;
  if (!connection) return "not_configured" as const;
  const { monthlyBudgetUsd } = await readAiSettings(services.db, turn.ticket.organizationId);
  if (
    monthlyBudgetUsd !== null &&
    (await spentThisMonth(services.db, turn.ticket.organizationId)) >= monthlyBudgetUsd
  ) {
    return "budget_exhausted" as const;
  }
  return null;
}

async function reply(services: Services, turn: Turn, jobId: string) {
  const { db, env } = services;
  const context = await loadReplyContext(db, turn);
  const texts = context.unanswered.map(messageText);
  const language = guessLanguage([
    ...texts,
    ...context.history.filter((m) => m.direction === "inbound").map(messageText),
  ]);
  const connection = await modelConnection(db, env, turn.ticket.organizationId);
  const known = { lead: turn.state.lead, stalledReplies: turn.state.stalledReplies };
  const rule = await handoffBeforeModel(services, turn, texts, connection);
  if (rule || !connection) {
    const outcome: Outcome = { ...known, texts: [handoffText(language)], handoff: rule ?? "not_configured" };
    return finishTurn(db, env, turn, jobId, outcome, null);
  }
  if (turn.agent.knowledge) {
    context.knowledge = await retrieveKnowledge(services, connection, {
      organizationId: turn.ticket.organizationId,
      ticketId: turn.ticket.id,
      agentId: turn.agent.id,
      text: texts.join("\n"),
      limit: KNOWLEDGE_PASSAGES,
    });
  }
  const { output } = await structuredCall(services, connection, {
    organizationId: turn.ticket.organizationId,
    ticketId: turn.ticket.id,
    agentId: turn.agent.id,
    purpose: "reply",
    model: turn.agent.model,
    temperature: turn.agent.temperature,
    messages: replyPrompt(turn.agent, context, services.now()),
    schema: replyOutput,
    schemaName: "reply",
  });
  return finishTurn(db, env, turn, jobId, decide(output, known, language), output.lead, context.knowledge);
}

/**
 * Answers a ticket's unanswered messages with one model call: scheduled by every inbound message
 * after the agent's quiet period, run by the newest one's job only (claimTurn). Model trouble is
 * retried through the job (honouring Retry-After); when the model fails for good the ticket is
 * handed to people with the error on its history, and the customer never sees an error.
 */
export const aiReplyJob = defineJob({
  name: "ai.reply",
  payload,
  async handle(services, { ticketId, messageId }, job) {
    const claimed = await claim(services, { ticketId, messageId, jobId: job.jobId });
    if (claimed.kind === "skipped") {
      if (claimed.jobs?.length) services.waitUntil(dispatch(services, claimed.jobs));
      return { skipped: claimed.reason };
    }
    let finished: Awaited<ReturnType<typeof reply>>;
    try {
      finished = await reply(services, claimed.turn, job.jobId);
    } catch (error) {
      await releaseTurn(services.db, ticketId, job.jobId);
      throw error;
    }
    if (finished.jobs.length) services.waitUntil(dispatch(services, finished.jobs));
    return finished.result;
  },
  async onDead(services, { ticketId, messageId }, error) {
    const { db, env } = services;
    const jobs = await db.transaction(async (tx): Promise<QueuedJob[]> => {
      await lockTicketFirst(tx, ticketId);
      const [row] = await tx
        .select({ state: aiTicketState, ticket: tickets, agent: aiAgents })
        .from(aiTicketState)
        .innerJoin(tickets, eq(tickets.id, aiTicketState.ticketId))
        .leftJoin(aiAgents, eq(aiAgents.id, aiTicketState.agentId))
        .where(eq(aiTicketState.ticketId, ticketId))
        .for("update", { of: aiTicketState });
      if (!row?.state.enabled || row.ticket.assigneeId) return [];
      const { state, ticket, agent } = row;
      if (state.lastRepliedMessageId && messageId <= state.lastRepliedMessageId) return [];
      await recordHistory(tx, {
        organizationId: ticket.organizationId,
        ticketId: ticket.id,
        actor: { type: "ai", id: agent?.id },
        action: "ai_failed",
        changes: { error: { before: null, after: cleanText(error).slice(0, 1000) } },
      });
      const language = guessLanguage(await recentInboundTexts(tx, ticket.id));
      return handOff(tx, env, { ticket, agent, reason: "model_failed", text: handoffText(language) });
    });
    if (jobs.length) services.waitUntil(dispatch(services, jobs));
  },
});
