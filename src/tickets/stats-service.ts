import { sql } from "drizzle-orm";
import type { Executor } from "@/platform/db";

type Row = Record<string, unknown>;
const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));
const nullable = (v: unknown) => (v === null || v === undefined ? null : Math.round(Number(v)));
const statusCounts = (r: Row) => ({
  open: num(r.open),
  pending: num(r.pending),
  resolved: num(r.resolved),
  closed: num(r.closed),
});
const byStatusSql = sql`
  count(*) filter (where status = 'open') as open,
  count(*) filter (where status = 'pending') as pending,
  count(*) filter (where status = 'resolved') as resolved,
  count(*) filter (where status = 'closed') as closed`;

/** Counts, medians and SLA compliance over the tickets created in [from, to) (default: the last 30 days). */
export async function ticketStats(db: Executor, organizationId: string, query: { from?: string; to?: string }) {
  const to = query.to ? new Date(query.to) : new Date();
  const from = query.from ? new Date(query.from) : new Date(to.getTime() - 30 * 86400_000);
  const scope = sql`organization_id = ${organizationId} and created_at >= ${from} and created_at < ${to}`;
  const [totals, queues, agents] = await Promise.all([
    db.execute<Row>(sql`
        select ${byStatusSql},
          percentile_cont(0.5) within group (order by extract(epoch from first_response_at - created_at)) as first_response_median,
          percentile_cont(0.5) within group (order by extract(epoch from resolved_at - created_at)) as resolution_median,
          count(*) filter (where first_response_due_at is not null and first_response_at is not null and first_response_at <= first_response_due_at) as fr_met,
          count(*) filter (where first_response_due_at is not null and (first_response_at > first_response_due_at or (first_response_at is null and first_response_due_at < now()))) as fr_breached,
          count(*) filter (where resolution_due_at is not null and resolved_at is not null and resolved_at <= resolution_due_at) as res_met,
          count(*) filter (where resolution_due_at is not null and (resolved_at > resolution_due_at or (resolved_at is null and resolution_due_at < now()))) as res_breached
        from tickets where ${scope}`),
    db.execute<Row>(
      sql`select queue_id, ${byStatusSql} from tickets where ${scope} group by queue_id order by queue_id nulls first`,
    ),
    db.execute<Row>(sql`
        select assignee_id, ${byStatusSql} from tickets where ${scope} and assignee_id is not null
        group by assignee_id order by assignee_id`),
  ]);
  const t = totals.rows[0] ?? {};
  const rate = (met: number, breached: number) => (met + breached === 0 ? null : met / (met + breached));
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    byStatus: statusCounts(t),
    byQueue: queues.rows.map((r) => ({ queueId: (r.queue_id as string | null) ?? null, ...statusCounts(r) })),
    byAgent: agents.rows.map((r) => ({
      agentId: String(r.assignee_id),
      open: num(r.open),
      pending: num(r.pending),
      resolved: num(r.resolved),
    })),
    firstResponseMedianSeconds: nullable(t.first_response_median),
    resolutionMedianSeconds: nullable(t.resolution_median),
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
    },
  };
}
