import * as z from "zod";
import { defineJob } from "@/jobs/define";
import type { Services } from "@/platform/services";
import { autoAssign, unassignedBacklog } from "./assign";

export const assignTicketJob = defineJob({
  name: "ticket.assign",
  payload: z.object({ ticketId: z.uuid() }),
  async handle({ db }, { ticketId }) {
    const assigneeId = await db.transaction((tx) => autoAssign(tx, ticketId));
    return { assigneeId };
  },
});

/** Hands out the backlog: one short transaction per ticket, so no lock is held for long. */
export async function drainBacklog(services: Services, organizationId: string | null, limit = 100) {
  const backlog = await services.db.transaction((tx) => unassignedBacklog(tx, organizationId, limit));
  let assigned = 0;
  for (const { id } of backlog) {
    if (await services.db.transaction((tx) => autoAssign(tx, id))) assigned += 1;
  }
  return { backlog: backlog.length, assigned };
}

export const drainJob = defineJob({
  name: "assignment.drain",
  payload: z.object({ organizationId: z.uuid() }),
  handle: (services, { organizationId }) => drainBacklog(services, organizationId),
});
