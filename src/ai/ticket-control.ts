import { and, desc, eq, sql } from "drizzle-orm";
import { assignJob, drainBacklogJob } from "@/assignment/enqueue";
import { aiAgentChannels, aiTicketState, messages } from "@/db/schema";
import { enqueue, type NewJob, type QueuedJob } from "@/jobs/outbox";
import type { Database, Executor, Transaction } from "@/platform/db";
import type { Env } from "@/platform/env";
import { ApiError } from "@/platform/errors";
import type { Principal } from "@/platform/principal";
import { isActive } from "@/tickets/active";
import { actorOf, recordHistory } from "@/tickets/history";
import type { TicketRow } from "@/tickets/schemas";
import { changeTicket, getTicket } from "@/tickets/service";
import { modelConnection } from "./model-access";
import { replyJob } from "./reply/enqueue";

export type TicketAi = {
  ticketId: string;
  enabled: boolean;
  agentId: string | null;
  coveringAgentId: string | null;
  handedOffAt: Date | null;
  handoffReason: string | null;
};

async function coveringAgent(db: Executor, channelId: string | null): Promise<string | null> {
  if (!channelId) return null;
  const [row] = await db
    .select({ agentId: aiAgentChannels.agentId })
    .from(aiAgentChannels)
    .where(and(eq(aiAgentChannels.channelId, channelId), eq(aiAgentChannels.active, true)));
  return row?.agentId ?? null;
}

/** Whether the bot has a ticket, and who covers its channel. */
export async function ticketAi(db: Executor, organizationId: string, ticketId: string): Promise<TicketAi> {
  const ticket = await getTicket(db, organizationId, ticketId);
  const [state] = await db.select().from(aiTicketState).where(eq(aiTicketState.ticketId, ticket.id));
  return {
    ticketId: ticket.id,
    enabled: state?.enabled ?? false,
    agentId: state?.agentId ?? null,
    coveringAgentId: await coveringAgent(db, ticket.channelId),
    handedOffAt: state?.handedOffAt ?? null,
    handoffReason: state?.handoffReason ?? null,
  };
}

/** The newest message of each direction, to tell whether the customer is waiting for an answer. */
async function newestMessages(tx: Transaction, ticketId: string) {
  const newest = (direction: "inbound" | "outbound") =>
    tx
      .select({ id: messages.id })
      .from(messages)
      .where(and(eq(messages.ticketId, ticketId), eq(messages.direction, direction)))
      .orderBy(desc(messages.id))
      .limit(1);
  const [[inbound], [outbound]] = await Promise.all([newest("inbound"), newest("outbound")]);
  return { inbound: inbound?.id ?? null, outbound: outbound?.id ?? null };
}

/**
 * An agent hands the ticket back to the bot: it is unassigned, the bot forgets the hand-off, and
 * if the customer's last message is unanswered the bot answers it now.
 */
async function handBack(tx: Transaction, env: Env, principal: Principal, ticket: TicketRow): Promise<NewJob[]> {
  if (!isActive(ticket.status)) throw new ApiError("CONFLICT", `The ticket is ${ticket.status}; reopen it first.`);
  const agentId = await coveringAgent(tx, ticket.channelId);
  if (!agentId) throw new ApiError("CONFLICT", "No active AI agent covers this ticket's channel.");
  if (!(await modelConnection(tx, env, ticket.organizationId))) {
    throw new ApiError("CONFLICT", "AI is not configured: set OPENAI_API_KEY or PUT /api/integrations/openai.");
  }
  const newest = await newestMessages(tx, ticket.id);
  const back = {
    agentId,
    enabled: true,
    takenAt: sql`now()`,
    handedOffAt: null,
    handoffReason: null,
    lockedUntil: null,
    lockedBy: null,
    stalledReplies: 0,
    lastInboundAt: null,
    lastInboundMessageId: newest.inbound,
    lastRepliedMessageId: newest.outbound,
  };
  await tx
    .insert(aiTicketState)
    .values({ ticketId: ticket.id, organizationId: ticket.organizationId, ...back })
    .onConflictDoUpdate({ target: aiTicketState.ticketId, set: { ...back, updatedAt: new Date() } });
  const jobs: NewJob[] = [];
  if (ticket.assigneeId) {
    await changeTicket(tx, ticket, { assigneeId: null }, actorOf(principal), "ai_enabled");
    jobs.push(drainBacklogJob(ticket.organizationId));
  } else {
    await recordHistory(tx, {
      organizationId: ticket.organizationId,
      ticketId: ticket.id,
      actor: actorOf(principal),
      action: "ai_enabled",
      changes: { aiAgentId: { before: null, after: agentId } },
    });
  }
  if (newest.inbound && (!newest.outbound || newest.inbound > newest.outbound)) {
    jobs.push(replyJob(ticket, newest.inbound, 0, `ai.reply:handback:${crypto.randomUUID()}`));
  }
  return jobs;
}

/** An agent takes the ticket away from the bot: it stays silent, and the ticket is assigned to people. */
async function takeAway(tx: Transaction, principal: Principal, ticket: TicketRow): Promise<NewJob[]> {
  const away = { enabled: false, handedOffAt: new Date(), handoffReason: "taken_by_agent" as const };
  const [before] = await tx
    .select({ enabled: aiTicketState.enabled })
    .from(aiTicketState)
    .where(eq(aiTicketState.ticketId, ticket.id));
  await tx
    .insert(aiTicketState)
    .values({ ticketId: ticket.id, organizationId: ticket.organizationId, ...away })
    .onConflictDoUpdate({
      target: aiTicketState.ticketId,
      set: { ...away, lockedUntil: null, lockedBy: null, updatedAt: new Date() },
    });
  await recordHistory(tx, {
    organizationId: ticket.organizationId,
    ticketId: ticket.id,
    actor: actorOf(principal),
    action: "ai_disabled",
    changes: { aiEnabled: { before: before?.enabled ?? false, after: false } },
  });
  return !ticket.assigneeId && isActive(ticket.status) ? [assignJob(ticket.organizationId, ticket.id)] : [];
}

/** POST /api/tickets/{id}/ai: hand the ticket back to the bot, or take it away from it. */
export async function setTicketAi(
  db: Database,
  env: Env,
  principal: Principal,
  ticketId: string,
  enabled: boolean,
): Promise<{ jobs: QueuedJob[] }> {
  const jobs = await db.transaction(async (tx) => {
    const ticket = await getTicket(tx, principal.organizationId, ticketId, true);
    if (principal.role === "agent" && ticket.assigneeId && ticket.assigneeId !== principal.id) {
      throw new ApiError("FORBIDDEN", "Agents can only hand the bot their own or unassigned tickets.");
    }
    const pending = enabled ? await handBack(tx, env, principal, ticket) : await takeAway(tx, principal, ticket);
    return enqueue(tx, pending);
  });
  return { jobs };
}
