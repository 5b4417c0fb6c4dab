import { and, count, desc, eq, lt } from "drizzle-orm";
import { agentQueues, agents, queues, tickets, users } from "@/db/schema";
import type { Database, Executor } from "@/platform/db";
import { isUniqueViolation } from "@/platform/db-errors";
import { ApiError } from "@/platform/errors";
import { forgetPolicy } from "@/sla/policy";
import { ticketIsActive } from "@/tickets/active";

type QueueInput = Partial<
  Pick<
    typeof queues.$inferInsert,
    | "name"
    | "description"
    | "slaFirstResponseMinutes"
    | "slaResolutionMinutes"
    | "slaNextResponseMinutes"
    | "slaWarningPercent"
    | "slaOnlyDuringBusinessHours"
    | "businessHours"
  >
>;

/** Names are unique per organization regardless of case, so routing rules can name a queue. */
async function uniqueName<T>(name: string | undefined, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isUniqueViolation(error, "queues_name_key")) {
      throw new ApiError("CONFLICT", `A queue named "${name}" already exists (names ignore case).`);
    }
    throw error;
  }
}

export async function listQueues(db: Database, organizationId: string, page: { limit: number; after?: string }) {
  return db
    .select()
    .from(queues)
    .where(and(eq(queues.organizationId, organizationId), page.after ? lt(queues.id, page.after) : undefined))
    .orderBy(desc(queues.id))
    .limit(page.limit + 1);
}

export async function getQueue(db: Executor, organizationId: string, id: string, lock = false) {
  const query = db
    .select()
    .from(queues)
    .where(and(eq(queues.organizationId, organizationId), eq(queues.id, id)));
  const [row] = lock ? await query.for("update") : await query;
  if (!row) throw new ApiError("NOT_FOUND", "No such queue in this organization.");
  return row;
}

export async function createQueue(db: Database, organizationId: string, input: QueueInput & { name: string }) {
  const [row] = await uniqueName(input.name, () =>
    db
      .insert(queues)
      .values({ organizationId, ...input })
      .returning(),
  );
  if (!row) throw new Error("queue insert returned nothing");
  return row;
}

export async function updateQueue(db: Database, organizationId: string, id: string, changes: QueueInput) {
  const [row] = await uniqueName(changes.name, () =>
    db
      .update(queues)
      .set(changes)
      .where(and(eq(queues.organizationId, organizationId), eq(queues.id, id)))
      .returning(),
  );
  if (!row) throw new ApiError("NOT_FOUND", "No such queue in this organization.");
  // New tickets read the policy from a per-isolate cache (src/sla/policy.ts).
  forgetPolicy(id);
  return row;
}

/**
 * Deleting a queue would silently unroute its live conversations, so it is refused while any
 * remain. The row lock makes a ticket entering the queue meanwhile wait for (and then fail on) it.
 */
export async function deleteQueue(db: Database, organizationId: string, id: string) {
  return db.transaction(async (tx) => {
    const queue = await getQueue(tx, organizationId, id, true);
    const [active] = await tx
      .select({ n: count() })
      .from(tickets)
      .where(and(eq(tickets.organizationId, organizationId), eq(tickets.queueId, id), ticketIsActive));
    if (active && active.n > 0) {
      throw new ApiError(
        "CONFLICT",
        `The queue still has ${active.n} open or pending ticket(s); move or resolve them before deleting it.`,
      );
    }
    await tx.delete(queues).where(and(eq(queues.organizationId, organizationId), eq(queues.id, id)));
    return queue;
  });
}

export async function listMembers(
  db: Database,
  organizationId: string,
  queueId: string,
  page: { limit: number; after?: string },
) {
  await getQueue(db, organizationId, queueId);
  return db
    .select({
      userId: agents.userId,
      name: users.name,
      email: users.email,
      status: agents.status,
      maxConcurrent: agents.maxConcurrent,
    })
    .from(agentQueues)
    .innerJoin(agents, eq(agents.userId, agentQueues.agentId))
    .innerJoin(users, eq(users.id, agents.userId))
    .where(
      and(
        eq(agentQueues.organizationId, organizationId),
        eq(agentQueues.queueId, queueId),
        page.after ? lt(agentQueues.agentId, page.after) : undefined,
      ),
    )
    .orderBy(desc(agentQueues.agentId))
    .limit(page.limit + 1);
}

/** Idempotent: adding a member twice is not an error. Answers whether a row was added. */
export async function addMember(db: Database, organizationId: string, queueId: string, userId: string) {
  await getQueue(db, organizationId, queueId);
  const [user] = await db
    .select({ id: users.id, role: users.role, active: users.active, agentId: agents.userId })
    .from(users)
    .leftJoin(agents, eq(agents.userId, users.id))
    .where(and(eq(users.organizationId, organizationId), eq(users.id, userId)));
  if (!user) throw new ApiError("NOT_FOUND", "No such user in this organization.");
  // An admin promoted from agent keeps a stale agent row; the role, not the row, decides.
  if (user.role === "admin" || !user.agentId) {
    const why = user.role === "admin" ? "this user is an admin" : "this user has no agent profile";
    throw new ApiError("CONFLICT", `Only agents and supervisors can join queues; ${why}.`);
  }
  if (!user.active) throw new ApiError("CONFLICT", "The user is deactivated and cannot join queues.");
  const added = await db
    .insert(agentQueues)
    .values({ agentId: userId, queueId, organizationId })
    .onConflictDoNothing()
    .returning({ agentId: agentQueues.agentId });
  return added.length > 0;
}

export async function removeMember(db: Database, organizationId: string, queueId: string, userId: string) {
  await getQueue(db, organizationId, queueId);
  const removed = await db
    .delete(agentQueues)
    .where(
      and(
        eq(agentQueues.organizationId, organizationId),
        eq(agentQueues.queueId, queueId),
        eq(agentQueues.agentId, userId),
      ),
    )
    .returning({ agentId: agentQueues.agentId });
  if (removed.length === 0) throw new ApiError("NOT_FOUND", "The user is not a member of this queue.");
}
