import { z } from "@hono/zod-openapi";
import { assertActiveAgent } from "@/agents/service";
import { insightsOnResolve } from "@/ai/insights/enqueue";
import { assignJob, drainBacklogJob } from "@/assignment/enqueue";
import { auditFromContext } from "@/audit/context";
import { auditDiff } from "@/audit/diff";
import type { TicketHistoryAction } from "@/db/schema";
import { dispatch } from "@/jobs/dispatch";
import { enqueue, type NewJob, type OutboxRow } from "@/jobs/outbox";
import { eventJob } from "@/notify/job";
import { subscribed } from "@/notify/settings";
import { resourceView } from "@/pii/policy";
import type { App } from "@/platform/api-app";
import type { AppContext } from "@/platform/app";
import { protectedRoute } from "@/platform/auth";
import type { Transaction } from "@/platform/db";
import { ApiError } from "@/platform/errors";
import { idParam, jsonBody, jsonContent } from "@/platform/openapi";
import { getQueue } from "@/queues/service";
import { reopenedSla } from "@/sla/policy";
import { isActive } from "./active";
import { actorOf } from "./history";
import { type TicketRow, ticketSchema } from "./schemas";
import { changeTicket, getTicket, presentTicketOf } from "./service";

type Action = {
  path: string;
  summary: string;
  body?: z.ZodType;
  roles?: ("admin" | "supervisor" | "agent")[];
  /** The audit log's action for it, written in the action's transaction (critical actions only). */
  audited?: string;
  run(
    tx: Transaction,
    ticket: TicketRow,
    input: never,
    c: AppContext,
  ): Promise<{ changes: Partial<TicketRow>; action: TicketHistoryAction; jobs?: NewJob[] }>;
};

const actions: Action[] = [
  {
    path: "assign",
    summary: "Assign to an agent (or unassign with null)",
    body: z.object({ assigneeId: z.uuid().nullable() }),
    async run(tx, ticket, input: { assigneeId: string | null }, c) {
      const principal = c.var.principal;
      // Agents may take a ticket for themselves; handing tickets to others is a supervisor's call.
      if (principal.role === "agent" && input.assigneeId !== principal.id) {
        throw new ApiError("FORBIDDEN", "Agents can only assign tickets to themselves.");
      }
      if (input.assigneeId) await assertActiveAgent(tx, ticket.organizationId, input.assigneeId);
      const jobs = ticket.assigneeId ? [drainBacklogJob(ticket.organizationId)] : [];
      if (input.assigneeId && input.assigneeId !== ticket.assigneeId && (await subscribed(tx, ticket.organizationId))) {
        jobs.push(
          eventJob(ticket.organizationId, "ticket.assigned", { ticketId: ticket.id, assigneeId: input.assigneeId }),
        );
      }
      return { changes: { assigneeId: input.assigneeId }, action: "assigned", jobs };
    },
  },
  {
    path: "transfer",
    summary: "Move to another queue (unassigned there unless an agent is given)",
    audited: "ticket.transferred",
    body: z.object({ queueId: z.uuid(), assigneeId: z.uuid().optional() }),
    async run(tx, ticket, input: { queueId: string; assigneeId?: string }, c) {
      const principal = c.var.principal;
      if (principal.role === "agent" && input.assigneeId && input.assigneeId !== principal.id) {
        throw new ApiError("FORBIDDEN", "Agents can only assign tickets to themselves.");
      }
      const queue = await getQueue(tx, ticket.organizationId, input.queueId);
      if (input.assigneeId) await assertActiveAgent(tx, ticket.organizationId, input.assigneeId);
      const jobs: NewJob[] = [drainBacklogJob(ticket.organizationId)];
      if (!input.assigneeId) jobs.push(assignJob(ticket.organizationId, ticket.id));
      return { changes: { queueId: queue.id, assigneeId: input.assigneeId ?? null }, action: "transferred", jobs };
    },
  },
  {
    path: "resolve",
    summary: "Resolve (a new inbound message within the channel's window reopens it)",
    async run(tx, ticket, _input, c) {
      if (!isActive(ticket.status)) throw new ApiError("CONFLICT", `The ticket is already ${ticket.status}.`);
      return {
        changes: { status: "resolved", resolvedAt: new Date() },
        action: "resolved",
        jobs: [drainBacklogJob(ticket.organizationId), ...(await insightsOnResolve(tx, c.var.services.env, ticket))],
      };
    },
  },
  {
    path: "close",
    summary: "Close for good (a new inbound message opens a new ticket)",
    async run(tx, ticket, _input, c) {
      if (ticket.status === "closed") throw new ApiError("CONFLICT", "The ticket is already closed.");
      // Closing an active ticket resolves it too: its insights are computed as on resolve.
      const insights = isActive(ticket.status) ? await insightsOnResolve(tx, c.var.services.env, ticket) : [];
      return {
        changes: { status: "closed", closedAt: new Date(), resolvedAt: ticket.resolvedAt ?? new Date() },
        action: "closed",
        jobs: [drainBacklogJob(ticket.organizationId), ...insights],
      };
    },
  },
  {
    path: "reopen",
    summary: "Reopen a resolved or closed ticket",
    async run(tx, ticket) {
      if (isActive(ticket.status)) throw new ApiError("CONFLICT", "The ticket is already open.");
      // Like a reopening by the customer: a new SLA cycle, the resolution clock starts again.
      return {
        changes: { status: "open", resolvedAt: null, closedAt: null, ...(await reopenedSla(tx, ticket, new Date())) },
        action: "reopened",
        jobs: ticket.assigneeId ? [] : [assignJob(ticket.organizationId, ticket.id)],
      };
    },
  },
  {
    path: "read",
    summary: "Mark the ticket's messages as read by the team",
    async run() {
      return { changes: { unreadCount: 0 }, action: "read" };
    },
  },
];

export function registerTicketActions(app: App) {
  for (const action of actions) {
    const route = protectedRoute({
      method: "post",
      path: `/api/tickets/{id}/${action.path}`,
      tags: ["tickets"],
      summary: action.summary,
      roles: action.roles,
      request: { params: idParam, ...(action.body ? { body: jsonBody(action.body) } : {}) },
      responses: { 200: jsonContent(ticketSchema, "The ticket after the action.") },
    });
    app.openapi(route, async (c) => {
      const { db } = c.var.services;
      const principal = c.var.principal;
      const input = action.body ? (c.req.valid("json" as never) as never) : (undefined as never);
      let jobs: OutboxRow[] = [];
      const ticket = await db.transaction(async (tx) => {
        const before = await getTicket(tx, principal.organizationId, c.req.valid("param").id, true);
        const result = await action.run(tx, before, input, c);
        const after = await changeTicket(tx, before, result.changes, actorOf(principal), result.action);
        if (action.audited) {
          const fields = Object.keys(result.changes);
          const diff = auditDiff(before, after, { fields });
          await auditFromContext(c, { action: action.audited, targetType: "ticket", targetId: after.id, diff }, tx);
        }
        jobs = await enqueue(tx, result.jobs ?? []);
        return after;
      });
      if (jobs.length) c.var.services.waitUntil(dispatch(c.var.services, jobs));
      return c.json(await presentTicketOf(db, ticket, await resourceView(c, ticket)), 200);
    });
  }
}
