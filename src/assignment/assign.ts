import { and, asc, eq, isNull, not, type SQL, sql } from "drizzle-orm";
import { agentLoad, worksTickets } from "@/agents/availability";
import { botHoldsTicket } from "@/ai/ownership";
import { agentQueues, agents, tickets, users } from "@/db/schema";
import type { Transaction } from "@/platform/db";
import { isActive, ticketIsActive } from "@/tickets/active";
import { recordHistory, systemActor } from "@/tickets/history";

/** Counted in a statement of its own, after the agent's row is locked, to see committed assignments. */
async function currentLoad(tx: Transaction, agentId: string): Promise<number> {
  const [row] = await tx
    .select({ n: agentLoad(agents.userId) })
    .from(agents)
    .where(eq(agents.userId, agentId));
  return row?.n ?? 0;
}

/** Over agents joined with users: who may take a ticket of the queue (any agent without a queue). */
function assignable(organizationId: string, queueId: string | null): SQL | undefined {
  return and(
    eq(agents.organizationId, organizationId),
    eq(agents.status, "online"),
    worksTickets,
    sql`${agentLoad(agents.userId)} < ${agents.maxConcurrent}`,
    queueId
      ? sql`exists (select 1 from ${agentQueues} where ${agentQueues.agentId} = ${agents.userId} and ${agentQueues.queueId} = ${queueId})`
      : undefined,
  );
}

/**
 * Whether anyone could take a new ticket of the queue now, as SQL. A producer that sees nobody
 * need not enqueue `ticket.assign`: the ticket waits unassigned, and the backlog is handed out
 * when an agent comes online or frees capacity (assignment.drain) and by the cron's sweep.
 */
export function someoneCanTake(organizationId: string, queueId: string | null): SQL {
  return sql`exists (select 1 from ${agents} join ${users} on ${users.id} = ${agents.userId}
    where ${assignable(organizationId, queueId)})`;
}

/**
 * Assigns an unassigned active ticket to the online agent of its queue with the fewest open
 * tickets under their maximum (ties: longest since their last assignment). Race-free: the
 * agent's row is locked before their load is counted, so two concurrent assignments can never
 * both take an agent's last free slot. Returns the assignee, or null when nobody is available.
 */
export async function autoAssign(tx: Transaction, ticketId: string): Promise<string | null> {
  // The bot's tickets are not auto-assigned: a hand-off (or an agent) gives them to people.
  const [ticket] = await tx
    .select()
    .from(tickets)
    .where(and(eq(tickets.id, ticketId), not(botHoldsTicket)))
    .for("update");
  if (!ticket || !isActive(ticket.status)) return null;
  if (ticket.assigneeId) return ticket.assigneeId;

  const load = agentLoad(agents.userId);
  const candidates = await tx
    .select({ id: agents.userId })
    .from(agents)
    .innerJoin(users, eq(users.id, agents.userId))
    .where(assignable(ticket.organizationId, ticket.queueId))
    .orderBy(asc(load), sql`${agents.lastAssignedAt} asc nulls first`, asc(agents.userId));

  for (const candidate of candidates) {
    const [agent] = await tx
      .select()
      .from(agents)
      .where(and(eq(agents.userId, candidate.id), eq(agents.status, "online")))
      .for("update");
    if (!agent || (await currentLoad(tx, agent.userId)) >= agent.maxConcurrent) continue;
    await tx.update(tickets).set({ assigneeId: agent.userId }).where(eq(tickets.id, ticket.id));
    await tx.update(agents).set({ lastAssignedAt: new Date() }).where(eq(agents.userId, agent.userId));
    await recordHistory(tx, {
      organizationId: ticket.organizationId,
      ticketId: ticket.id,
      actor: systemActor,
      action: "assigned",
      changes: { assigneeId: { before: null, after: agent.userId } },
    });
    return agent.userId;
  }
  return null;
}

/** Unassigned active tickets, oldest first: the backlog to hand out when capacity appears. */
export async function unassignedBacklog(tx: Transaction, organizationId: string | null, limit: number) {
  return tx
    .select({ id: tickets.id })
    .from(tickets)
    .where(
      and(
        organizationId ? eq(tickets.organizationId, organizationId) : undefined,
        isNull(tickets.assigneeId),
        ticketIsActive,
        not(botHoldsTicket),
      ),
    )
    .orderBy(asc(tickets.id))
    .limit(limit);
}
