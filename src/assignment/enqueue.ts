import type { NewJob } from "@/jobs/outbox";

/** The job that assigns one ticket (see ./jobs.ts), for producers to enqueue in their transaction. */
export function assignJob(organizationId: string, ticketId: string): NewJob {
  return { name: "ticket.assign", organizationId, payload: { ticketId } };
}

/** The job that hands out an organization's unassigned backlog when capacity appears. */
export function drainBacklogJob(organizationId: string): NewJob {
  return { name: "assignment.drain", organizationId, payload: { organizationId } };
}
