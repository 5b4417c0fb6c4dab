// The ticket statistics computed the slow, exact way, from every ticket created in the window:
// what GET /api/tickets/stats answered before it read rollups, kept here as the reference the
// rollups are checked against (exact medians by percentile_cont, SLA breaches by the clock, and
// next-response compliance as GET /api/sla/report computes it: from the breaches in sla_events).
import { sql } from "drizzle-orm";
import { withDb } from "./db";
import type { Driver } from "./env";

type Row = Record<string, unknown>;
const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));
const counts = (r: Row) => ({
  open: num(r.open),
  pending: num(r.pending),
  resolved: num(r.resolved),
  closed: num(r.closed),
});
const rate = (met: number, breached: number) => (met + breached === 0 ? null : met / (met + breached));

export async function exactStats(organizationId: string, from: Date, to: Date, driver: Driver = "pg") {
  const window = sql`organization_id = ${organizationId} and created_at >= ${from.toISOString()}::timestamptz
    and created_at < ${to.toISOString()}::timestamptz`;
  const byStatus = sql`count(*) filter (where status = 'open') as open, count(*) filter (where status = 'pending') as pending,
    count(*) filter (where status = 'resolved') as resolved, count(*) filter (where status = 'closed') as closed`;
  return withDb(async (db) => {
    const [total] = (
      await db.execute<Row>(sql`
        select ${byStatus},
          percentile_cont(0.5) within group (order by date_part('epoch', first_response_at - created_at)) as fr_median,
          percentile_cont(0.5) within group (order by date_part('epoch', resolved_at - created_at)) as res_median,
          count(*) filter (where first_response_due_at is not null and first_response_at is not null and first_response_at <= first_response_due_at) as fr_met,
          count(*) filter (where first_response_due_at is not null and (first_response_at > first_response_due_at or (first_response_at is null and first_response_due_at < now()))) as fr_breached,
          count(*) filter (where resolution_due_at is not null and resolved_at is not null and resolved_at <= resolution_due_at) as res_met,
          count(*) filter (where resolution_due_at is not null and (resolved_at > resolution_due_at or (resolved_at is null and resolution_due_at < now()))) as res_breached,
          count(*) filter (where next_response_cycle > 0 and nr_b) as nr_breached,
          count(*) filter (where next_response_cycle > 0 and not nr_b and (status in ('resolved', 'closed')
            or not (waiting_since is not null and next_response_from = waiting_since and next_response_due_at is not null))) as nr_met
        from (select *, exists (select 1 from sla_events e where e.ticket_id = t.id and e.kind = 'next_response'
                and e.level = 'breached') as nr_b
              from tickets t where ${window}) t`)
    ).rows as Row[];
    const queues = (
      await db.execute<Row>(sql`select queue_id, ${byStatus} from tickets where ${window}
        group by queue_id order by queue_id nulls first`)
    ).rows;
    const agents = (
      await db.execute<Row>(sql`select assignee_id, ${byStatus} from tickets where ${window} and assignee_id is not null
        group by assignee_id order by assignee_id`)
    ).rows;
    const t = total ?? {};
    return {
      byStatus: counts(t),
      byQueue: queues.map((r) => ({ queueId: (r.queue_id as string | null) ?? null, ...counts(r) })),
      byAgent: agents.map((r) => ({
        agentId: String(r.assignee_id),
        open: num(r.open),
        pending: num(r.pending),
        resolved: num(r.resolved),
      })),
      firstResponseMedianSeconds: t.fr_median === null ? null : Number(t.fr_median),
      resolutionMedianSeconds: t.res_median === null ? null : Number(t.res_median),
      sla: {
        firstResponse: {
          met: num(t.fr_met),
          breached: num(t.fr_breached),
          rate: rate(num(t.fr_met), num(t.fr_breached)),
        },
        resolution: {
          met: num(t.res_met),
          breached: num(t.res_breached),
          rate: rate(num(t.res_met), num(t.res_breached)),
        },
        nextResponse: {
          met: num(t.nr_met),
          breached: num(t.nr_breached),
          rate: rate(num(t.nr_met), num(t.nr_breached)),
        },
      },
    };
  }, driver);
}
