import type { z } from "@hono/zod-openapi";
import { and, asc, eq } from "drizzle-orm";
import { slaEvents, type tickets } from "@/db/schema";
import type { Executor } from "@/platform/db";
import { deadline, loadPolicy } from "./policy";
import type { ticketSlaSchema } from "./schemas";

type TicketRow = typeof tickets.$inferSelect;

/**
 * A ticket's SLA as `GET /api/tickets/{id}` shows it: its due times and its recorded breaches. A
 * customer who wrote since the last sweep already sees the next-response due time the sweep will
 * start (the same policy, the same clock).
 */
export async function ticketSla(db: Executor, ticket: TicketRow): Promise<z.infer<typeof ticketSlaSchema>> {
  const breaches = await db
    .select({ kind: slaEvents.kind, cycle: slaEvents.cycle, dueAt: slaEvents.dueAt, crossedAt: slaEvents.crossedAt })
    .from(slaEvents)
    .where(
      and(
        eq(slaEvents.organizationId, ticket.organizationId),
        eq(slaEvents.ticketId, ticket.id),
        eq(slaEvents.level, "breached"),
      ),
    )
    .orderBy(asc(slaEvents.crossedAt), asc(slaEvents.id));
  let nextResponseDueAt: Date | null = null;
  const active = ticket.status === "open" || ticket.status === "pending";
  if (active && ticket.waitingSince && ticket.firstResponseAt) {
    if (ticket.nextResponseFrom?.getTime() === ticket.waitingSince.getTime()) {
      nextResponseDueAt = ticket.nextResponseDueAt;
    } else {
      const policy = await loadPolicy(db, ticket.queueId);
      nextResponseDueAt = deadline(policy, ticket.waitingSince, policy.nextResponseMinutes).dueAt;
    }
  }
  return {
    firstResponseDueAt: ticket.firstResponseDueAt?.toISOString() ?? null,
    nextResponseDueAt: nextResponseDueAt?.toISOString() ?? null,
    resolutionDueAt: ticket.resolutionDueAt?.toISOString() ?? null,
    cycle: ticket.slaCycle,
    breached: breaches.map((b) => ({
      kind: b.kind,
      cycle: b.cycle,
      dueAt: b.dueAt.toISOString(),
      breachedAt: b.crossedAt.toISOString(),
    })),
  };
}
