import { eq } from "drizzle-orm";
import * as z from "zod";
import { tickets } from "@/db/schema";
import { defineJob } from "@/jobs/define";
import { dispatch } from "@/jobs/dispatch";
import { enqueue, type OutboxRow } from "@/jobs/outbox";
import { eventJob } from "@/notify/job";
import { subscribed } from "@/notify/settings";
import type { Services } from "@/platform/services";
import { autoAssign, unassignedBacklog } from "./assign";

/** Assigns one ticket; the organization's events webhook hears of it, in the same transaction. */
async function assignAndNotify(services: Services, ticketId: string): Promise<string | null> {
  let jobs: OutboxRow[] = [];
  const assigneeId = await services.db.transaction(async (tx) => {
    const assignee = await autoAssign(tx, ticketId);
    if (assignee) {
      const [ticket] = await tx
        .select({ organizationId: tickets.organizationId, assigneeId: tickets.assigneeId })
        .from(tickets)
        .where(eq(tickets.id, ticketId));
      if (ticket && (await subscribed(tx, ticket.organizationId))) {
        jobs = await enqueue(tx, [
          eventJob(
            ticket.organizationId,
            "ticket.assigned",
            { ticketId, assigneeId: assignee },
            `${ticketId}:${assignee}`,
          ),
        ]);
      }
    }
    return assignee;
  });
  if (jobs.length) services.waitUntil(dispatch(services, jobs));
  return assigneeId;
}

export const assignTicketJob = defineJob({
  name: "ticket.assign",
  payload: z.object({ ticketId: z.uuid() }),
  async handle(services, { ticketId }) {
    return { assigneeId: await assignAndNotify(services, ticketId) };
  },
});

/** Hands out the backlog: one short transaction per ticket, so no lock is held for long. */
export async function drainBacklog(services: Services, organizationId: string | null, limit = 100) {
  const backlog = await services.db.transaction((tx) => unassignedBacklog(tx, organizationId, limit));
  let assigned = 0;
  for (const { id } of backlog) {
    if (await assignAndNotify(services, id)) assigned += 1;
  }
  return { backlog: backlog.length, assigned };
}

export const drainJob = defineJob({
  name: "assignment.drain",
  payload: z.object({ organizationId: z.uuid() }),
  handle: (services, { organizationId }) => drainBacklog(services, organizationId),
});
