import * as z from "zod";
import { defineJob } from "@/jobs/define";
import { dispatch } from "@/jobs/dispatch";
import type { Services } from "@/platform/services";
import { autoAssign, unassignedBacklog } from "./assign";

/** Assigns one ticket; the organization's events webhook hears of it, in the same transaction. */
async function assignAndNotify(services: Services, ticketId: string): Promise<string | null> {
  const { assigneeId, jobs } = await services.db.transaction((tx) => autoAssign(tx, ticketId));
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
