import { z } from "@hono/zod-openapi";
import { and, asc, eq, gt, inArray, ne, sql } from "drizzle-orm";
import { drainBacklogJob } from "@/assignment/enqueue";
import { agentQueues, agentStatuses, agents, queues, roles, tickets, users } from "@/db/schema";
import { dispatch } from "@/jobs/dispatch";
import { enqueue, type OutboxRow } from "@/jobs/outbox";
import type { App } from "@/platform/api-app";
import { protectedRoute } from "@/platform/auth";
import type { Executor } from "@/platform/db";
import { ApiError } from "@/platform/errors";
import { idParam, jsonBody, jsonContent, timestamp } from "@/platform/openapi";
import { decodeCursor, idCursor, pageQuery, pageSchema, toPage } from "@/platform/pagination";

const agentSchema = z
  .object({
    id: z.string().openapi({ description: "The agent's user id." }),
    name: z.string(),
    email: z.string(),
    role: z.enum(roles),
    status: z.enum(agentStatuses),
    maxConcurrent: z.number().int(),
    openTickets: z.number().int(),
    queueIds: z.array(z.string()),
    statusChangedAt: timestamp.nullable(),
    lastAssignedAt: timestamp.nullable(),
  })
  .openapi("Agent");

async function loadAgents(db: Executor, organizationId: string, where: { id?: string; after?: string; limit: number }) {
  const rows = await db
    .select({
      agent: agents,
      name: users.name,
      email: users.email,
      role: users.role,
      openTickets: sql<number>`(select count(*)::int from ${tickets} where ${tickets.assigneeId} = ${agents.userId} and ${tickets.status} in ('open', 'pending'))`,
    })
    .from(agents)
    .innerJoin(users, eq(users.id, agents.userId))
    .where(
      and(
        eq(agents.organizationId, organizationId),
        eq(users.active, true),
        // An agent promoted to admin keeps the profile row but stops working tickets.
        ne(users.role, "admin"),
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
  return rows.map((r) => ({
    id: r.agent.userId,
    name: r.name,
    email: r.email,
    role: r.role,
    status: r.agent.status,
    maxConcurrent: r.agent.maxConcurrent,
    openTickets: r.openTickets,
    queueIds: memberships.filter((m) => m.agentId === r.agent.userId).map((m) => m.queueId),
    statusChangedAt: r.agent.statusChangedAt?.toISOString() ?? null,
    lastAssignedAt: r.agent.lastAssignedAt?.toISOString() ?? null,
  }));
}

async function getAgent(db: Executor, organizationId: string, id: string) {
  const [agent] = await loadAgents(db, organizationId, { id, limit: 1 });
  if (!agent) throw new ApiError("NOT_FOUND", "No such active agent in this organization.");
  return agent;
}

const list = protectedRoute({
  method: "get",
  path: "/api/agents",
  tags: ["agents"],
  summary: "Agents (users with role agent or supervisor) with status, capacity and queues",
  request: { query: pageQuery },
  responses: { 200: jsonContent(pageSchema(agentSchema, "AgentPage"), "A page of agents.") },
});

const get = protectedRoute({
  method: "get",
  path: "/api/agents/{id}",
  tags: ["agents"],
  summary: "Get an agent",
  request: { params: idParam },
  responses: { 200: jsonContent(agentSchema, "The agent.") },
});

const update = protectedRoute({
  method: "patch",
  path: "/api/agents/{id}",
  tags: ["agents"],
  summary: "Set status, capacity or queues",
  description:
    "Agents may set their own status; everything else needs a supervisor or admin. Coming online hands out waiting tickets.",
  request: {
    params: idParam,
    body: jsonBody(
      z
        .object({
          status: z.enum(agentStatuses),
          maxConcurrent: z.number().int().min(0).max(100),
          queueIds: z.array(z.uuid()).max(100),
        })
        .partial()
        .refine((v) => Object.keys(v).length > 0, "send at least one field"),
    ),
  },
  responses: { 200: jsonContent(agentSchema, "The agent.") },
});

export function registerAgentRoutes(app: App) {
  app.openapi(list, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const rows = await loadAgents(c.var.services.db, c.var.principal.organizationId, {
      after: decodeCursor(cursor, idCursor)?.id,
      limit,
    });
    return c.json(
      toPage(
        rows,
        limit,
        (a) => ({ id: a.id }),
        (a) => a,
      ),
      200,
    );
  });

  app.openapi(get, async (c) =>
    c.json(await getAgent(c.var.services.db, c.var.principal.organizationId, c.req.valid("param").id), 200),
  );

  app.openapi(update, async (c) => {
    const services = c.var.services;
    const principal = c.var.principal;
    const id = c.req.valid("param").id;
    const input = c.req.valid("json");
    const self = principal.type === "user" && principal.id === id;
    const onlyStatus = Object.keys(input).every((k) => k === "status");
    if (principal.role === "agent" && !(self && onlyStatus)) {
      throw new ApiError("FORBIDDEN", "Agents can only change their own status.");
    }
    let jobs: OutboxRow[] = [];
    await services.db.transaction(async (tx) => {
      const [agent] = await tx
        .select()
        .from(agents)
        .where(and(eq(agents.organizationId, principal.organizationId), eq(agents.userId, id)))
        .for("update");
      if (!agent) throw new ApiError("NOT_FOUND", "No such active agent in this organization.");
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
              .where(and(eq(queues.organizationId, principal.organizationId), inArray(queues.id, input.queueIds)))
          : [];
        if (owned.length !== new Set(input.queueIds).size)
          throw new ApiError("NOT_FOUND", "No such queue in this organization.");
        await tx.delete(agentQueues).where(eq(agentQueues.agentId, id));
        if (owned.length) {
          await tx
            .insert(agentQueues)
            .values(owned.map((q) => ({ agentId: id, queueId: q.id, organizationId: principal.organizationId })));
        }
      }
      // New capacity (online, a higher maximum, more queues) may take waiting tickets.
      const freed =
        changes.status === "online" ||
        (input.maxConcurrent !== undefined && input.maxConcurrent > agent.maxConcurrent) ||
        input.queueIds !== undefined;
      if (freed && (changes.status ?? agent.status) === "online") {
        jobs = await enqueue(tx, [drainBacklogJob(principal.organizationId)]);
      }
    });
    if (jobs.length) services.waitUntil(dispatch(services, jobs));
    return c.json(await getAgent(services.db, principal.organizationId, id), 200);
  });
}
