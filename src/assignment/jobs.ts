import * as z from "zod";
import { defineJob } from "@/jobs/define";
import { dispatch } from "@/jobs/dispatch";
import type { Services } from "@/platform/services";
import { autoAssign, unassignedBacklog } from "./assign";

// A contended try means another assignment took the chosen agent's last slot (or they went
// offline) and committed: each new try sees that and picks again, so a few always suffice unless
// agents keep filling up; then the ticket waits in the backlog for the drain and the sweep.
const ASSIGN_TRIES = 5;

/** Assigns one ticket; the organization's events webhook hears of it, in the same transaction. */
async function assignAndNotify(services: Services, ticketId: string): Promise<string | null> {
  for (let attempt = 1; ; attempt++) {
    const { assigneeId, jobs, contended } = await services.db.transaction((tx) => autoAssign(tx, ticketId));
    if (contended && attempt < ASSIGN_TRIES) continue;
    if (jobs.length) services.waitUntil(dispatch(services, jobs));
    return assigneeId;
  }
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
