import { and, asc, eq, gt, inArray } from "drizzle-orm";
import { drainBacklogJob } from "@/assignment/enqueue";
import { agentQueues, agents, queues, type Role, users } from "@/db/schema";
import { enqueue, type OutboxRow } from "@/jobs/outbox";
import type { Database, Executor } from "@/platform/db";
import { ApiError } from "@/platform/errors";
import type { Principal } from "@/platform/principal";
import { agentLoad, worksTickets } from "./availability";
import { type Agent, type AgentChanges, presentAgent } from "./schemas";

const NO_SUCH_AGENT = "No such active agent in this organization.";

/** Users who work tickets get an agent profile (status, capacity, queues) from the start. */
export async function createAgentProfile(db: Executor, user: { id: string; organizationId: string; role: Role }) {
  if (user.role === "admin") return;
  await db.insert(agents).values({ userId: user.id, organizationId: user.organizationId }).onConflictDoNothing();
}

export async function listAgents(
  db: Executor,
  organizationId: string,
  where: { id?: string; after?: string; limit: number },
): Promise<Agent[]> {
  const rows = await db
    .select({
      agent: agents,
      name: users.name,
      email: users.email,
      role: users.role,
      openTickets: agentLoad(agents.userId),
    })
    .from(agents)
    .innerJoin(users, eq(users.id, agents.userId))
    .where(
      and(
        eq(agents.organizationId, organizationId),
        worksTickets,
        where.id ? eq(agents.userId, where.id) : undefined,
        where.after ? gt(agents.userId, where.after) : undefined,
      ),
    )
    .orderBy(asc(agents.userId))
    .limit(where.limit + 1);
  const memberships = rows.length
    ? await db
        .select()
        .from(agentQueues)
        .where(
          inArray(
            agentQueues.agentId,
            rows.map((r) => r.agent.userId),
          ),
        )
    : [];
  return rows.map((r) =>
    presentAgent(
      r,
      memberships.filter((m) => m.agentId === r.agent.userId).map((m) => m.queueId),
    ),
  );
}

export async function getAgent(db: Executor, organizationId: string, id: string): Promise<Agent> {
  const [agent] = await listAgents(db, organizationId, { id, limit: 1 });
  if (!agent) throw new ApiError("NOT_FOUND", NO_SUCH_AGENT);
  return agent;
}

/** Throws unless the user is an agent of the organization who works tickets. */
export async function assertActiveAgent(db: Executor, organizationId: string, userId: string): Promise<void> {
  const [agent] = await db
    .select({ id: agents.userId })
    .from(agents)
    .innerJoin(users, eq(users.id, agents.userId))
    .where(and(eq(agents.organizationId, organizationId), eq(agents.userId, userId), worksTickets));
  if (!agent) throw new ApiError("NOT_FOUND", NO_SUCH_AGENT);
}

/**
 * Sets an agent's status, capacity or queues. Agents may set their own status; everything else is
 * a supervisor's or admin's. Returns the jobs to dispatch after the commit: new capacity of an
 * online agent hands out waiting tickets.
 */
export async function updateAgent(
  db: Database,
  principal: Principal,
  id: string,
  input: AgentChanges,
): Promise<OutboxRow[]> {
  const self = principal.type === "user" && principal.id === id;
  const onlyStatus = Object.keys(input).every((k) => k === "status");
  if (principal.role === "agent" && !(self && onlyStatus)) {
    throw new ApiError("FORBIDDEN", "Agents can only change their own status.");
  }
  const { organizationId } = principal;
  return db.transaction(async (tx) => {
    const [agent] = await tx
      .select()
      .from(agents)
      .where(and(eq(agents.organizationId, organizationId), eq(agents.userId, id)))
      .for("update");
    if (!agent) throw new ApiError("NOT_FOUND", NO_SUCH_AGENT);
    const changes: Partial<typeof agents.$inferInsert> = {};
    if (input.status && input.status !== agent.status)
      Object.assign(changes, { status: input.status, statusChangedAt: new Date() });
    if (input.maxConcurrent !== undefined) changes.maxConcurrent = input.maxConcurrent;
    if (Object.keys(changes).length) await tx.update(agents).set(changes).where(eq(agents.userId, id));
    if (input.queueIds) {
      const owned = input.queueIds.length
        ? await tx
            .select({ id: queues.id })
            .from(queues)
            .where(and(eq(queues.organizationId, organizationId), inArray(queues.id, input.queueIds)))
        : [];
      if (owned.length !== new Set(input.queueIds).size)
        throw new ApiError("NOT_FOUND", "No such queue in this organization.");
      await tx.delete(agentQueues).where(eq(agentQueues.agentId, id));
      if (owned.length) {
        await tx.insert(agentQueues).values(owned.map((q) => ({ agentId: id, queueId: q.id, organizationId })));
      }
    }
    // New capacity (online, a higher maximum, more queues) may take waiting tickets.
    const freed =
      changes.status === "online" ||
      (input.maxConcurrent !== undefined && input.maxConcurrent > agent.maxConcurrent) ||
      input.queueIds !== undefined;
    return freed && (changes.status ?? agent.status) === "online" ? enqueue(tx, [drainBacklogJob(organizationId)]) : [];
  });
}
