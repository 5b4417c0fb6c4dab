import { and, asc, eq, isNull, not, type SQL, sql } from "drizzle-orm";
import { agentLoad, worksTickets } from "@/agents/availability";
import { botHoldsTicket } from "@/ai/ownership";
import { insertSelect } from "@/db/insert-select";
import { agentQueues, agents, outbox, ticketHistory, tickets, users } from "@/db/schema";
import { type DispatchableJob, outboxValues } from "@/jobs/outbox";
import { eventJob } from "@/notify/job";
import { eventsWebhookConfigured } from "@/notify/settings";
import type { Transaction } from "@/platform/db";
import { isActive, ticketIsActive } from "@/tickets/active";
import { historyRow, systemActor } from "@/tickets/history";
import type { TicketRow } from "@/tickets/schemas";

/**
 * Over agents joined with users: who may take a ticket of the queue (any agent without one). The
 * organization and the queue may be SQL (a ticket's columns).
 */
function assignable(organizationId: string | SQL, queueId: string | SQL | null): SQL | undefined {
  return and(
    eq(agents.organizationId, organizationId),
    eq(agents.status, "online"),
    worksTickets,
    sql`${agentLoad(agents.userId)} < ${agents.maxConcurrent}`,
    queueId === null
      ? undefined
      : sql`(${queueId}::uuid is null or exists (select 1 from ${agentQueues}
          where ${agentQueues.agentId} = ${agents.userId} and ${agentQueues.queueId} = ${queueId}))`,
  );
}

/**
 * Whether anyone could take a new ticket of the queue now, as SQL. A producer that sees nobody
 * need not enqueue `ticket.assign`: the ticket waits unassigned, and the backlog is handed out
 * when an agent comes online or frees capacity (assignment.drain) and by the cron's sweep.
 */
export function someoneCanTake(organizationId: string | SQL, queueId: string | SQL | null): SQL {
  return sql`exists (select 1 from ${agents} join ${users} on ${users.id} = ${agents.userId}
    where ${assignable(organizationId, queueId)})`;
}

/** `contended`: the chosen agent filled up or went offline meanwhile; try again in a new transaction. */
export type Assignment = { assigneeId: string | null; jobs: DispatchableJob[]; contended?: boolean };

/**
 * Assigns an unassigned active ticket to the online agent of its queue with the fewest open
 * tickets under their maximum (ties: longest since their last assignment), and enqueues the
 * organization's `ticket.assigned` event with it. Race-free: the agent's row is locked before
 * their load is counted (by the next statement, which sees every assignment committed before the
 * lock), so two concurrent assignments can never both take an agent's last free slot.
 * Three statements for the usual case: the ticket (locked) with its candidates, the candidate's
 * lock, and the assignment with its history, the agent's time and the event.
 * One agent is locked per transaction: when the chosen one has no room after all, the answer is
 * `contended` rather than a try of the next candidate while still holding the first one's lock,
 * which deadlocked two assignments that had locked full agents in opposite orders.
 */
export async function autoAssign(tx: Transaction, ticketId: string): Promise<Assignment> {
  const none: Assignment = { assigneeId: null, jobs: [] };
  const t = sql.raw("t");
  const { rows } = await tx.execute<{
    organization_id: string;
    status: TicketRow["status"];
    assignee_id: string | null;
    candidates: string[];
  }>(sql`
    with t as (
      -- The bot's tickets are not auto-assigned: a hand-off (or an agent) gives them to people.
      select ${tickets.id} as id, ${tickets.organizationId} as organization_id, ${tickets.queueId} as queue_id,
        ${tickets.status} as status, ${tickets.assigneeId} as assignee_id
      from ${tickets} where ${tickets.id} = ${ticketId} and not ${botHoldsTicket}
      for update
    )
    select t.organization_id, t.status, t.assignee_id, array(
      select ${agents.userId} from ${agents} join ${users} on ${users.id} = ${agents.userId}
      where ${assignable(sql`${t}.organization_id`, sql`${t}.queue_id`)}
      order by ${agentLoad(agents.userId)}, ${agents.lastAssignedAt} asc nulls first, ${agents.userId}
    ) as candidates
    from t`);
  const ticket = rows[0];
  if (!ticket || !isActive(ticket.status)) return none;
  if (ticket.assignee_id) return { assigneeId: ticket.assignee_id, jobs: [] };

  const [candidate] = ticket.candidates;
  if (candidate === undefined) return none;
  const [agent] = await tx
    .select({ maxConcurrent: agents.maxConcurrent })
    .from(agents)
    .where(and(eq(agents.userId, candidate), eq(agents.status, "online")))
    .for("update");
  if (!agent) return { ...none, contended: true };
  const assigned = sql`where exists (select 1 from assigned)`;
  const { rows: done } = await tx.execute<{ assigned: boolean; jobs: DispatchableJob[] | null }>(sql`
    with assigned as (
      update ${tickets} set assignee_id = ${candidate}, updated_at = now()
      where ${tickets.id} = ${ticketId} and ${agentLoad(candidate)} < ${agent.maxConcurrent}
      returning ${tickets.id}
    ),
    agent as (
      update ${agents} set last_assigned_at = now(), updated_at = now()
      where ${agents.userId} = ${candidate} and exists (select 1 from assigned)
      returning ${agents.userId}
    ),
    history as (
      ${insertSelect(
        ticketHistory,
        historyRow({
          organizationId: ticket.organization_id,
          ticketId,
          actor: systemActor,
          action: "assigned",
          changes: { assigneeId: { before: null, after: candidate } },
        }),
        assigned,
      )}
      returning id
    ),
    job as (
      ${insertSelect(
        outbox,
        outboxValues(
          eventJob(
            ticket.organization_id,
            "ticket.assigned",
            { ticketId, assigneeId: candidate },
            `${ticketId}:${candidate}`,
          ),
        ),
        sql`${assigned} and ${eventsWebhookConfigured(ticket.organization_id)}`,
      )}
      on conflict (dedupe_key) do nothing
      returning id, name, payload, max_attempts
    )
    select exists (select 1 from assigned) as assigned,
      (select json_agg(json_build_object('id', id, 'name', name, 'payload', payload, 'maxAttempts', max_attempts))
        from job) as jobs`);
  if (done[0]?.assigned) return { assigneeId: candidate, jobs: done[0].jobs ?? [] };
  return { ...none, contended: true };
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
        // Only tickets someone could take now: a backlog nobody can serve (an organization with
        // everyone offline) must not fill the sweep's batch and starve the rest.
        someoneCanTake(sql`${tickets.organizationId}`, sql`${tickets.queueId}`),
      ),
    )
    .orderBy(asc(tickets.id))
    .limit(limit);
}
