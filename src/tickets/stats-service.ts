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
/** The columns a part without medians or SLA figures leaves empty, so the three parts line up. */
const noTotals = sql`null::float8, null::float8, null::bigint, null::bigint, null::bigint, null::bigint`;

// The parts of the one statement, in the order it returns them.
const TOTAL = 0;
const QUEUE = 1;
const AGENT = 2;
/** A part's number as a literal: a parameter in a UNION's first column would have no type. */
const part = (n: number) => sql.raw(String(n));

/**
 * Counts, medians and SLA compliance over the tickets created in [from, to) (default: the last 30
 * days). One statement: the window's tickets are read once, from tickets_stats_idx alone (an
 * index-only scan of the organization's date range, which holds every column the figures need),
 * and the totals, the queues and the agents are aggregated from that one read. Medians sort seconds
 * as float8 (date_part): the values percentile_cont got from extract's numeric, cheaper to compute.
 * Still one pass over every ticket in the window: an exact median needs every value.
 */
export async function ticketStats(db: Executor, organizationId: string, query: { from?: string; to?: string }) {
  const to = query.to ? new Date(query.to) : new Date();
  const from = query.from ? new Date(query.from) : new Date(to.getTime() - 30 * 86400_000);
  const { rows } = await db.execute<Row>(sql`
    with w as materialized (
      select status, queue_id, assignee_id, created_at, first_response_at, resolved_at,
             first_response_due_at, resolution_due_at
      from tickets
      where organization_id = ${organizationId} and created_at >= ${from} and created_at < ${to}
    )
    select ${part(TOTAL)} as part, null::uuid as key, ${byStatusSql},
      percentile_cont(0.5) within group (order by date_part('epoch', first_response_at - created_at)) as first_response_median,
      percentile_cont(0.5) within group (order by date_part('epoch', resolved_at - created_at)) as resolution_median,
      count(*) filter (where first_response_due_at is not null and first_response_at is not null and first_response_at <= first_response_due_at) as fr_met,
      count(*) filter (where first_response_due_at is not null and (first_response_at > first_response_due_at or (first_response_at is null and first_response_due_at < now()))) as fr_breached,
      count(*) filter (where resolution_due_at is not null and resolved_at is not null and resolved_at <= resolution_due_at) as res_met,
      count(*) filter (where resolution_due_at is not null and (resolved_at > resolution_due_at or (resolved_at is null and resolution_due_at < now()))) as res_breached
    from w
    union all
    select ${part(QUEUE)}, queue_id, ${byStatusSql}, ${noTotals} from w group by queue_id
    union all
    select ${part(AGENT)}, assignee_id, ${byStatusSql}, ${noTotals} from w where assignee_id is not null group by assignee_id
    order by part, key nulls first`);
  const rowsOf = (n: number) => rows.filter((r) => Number(r.part) === n);
  const t = rowsOf(TOTAL)[0] ?? {};
  const rate = (met: number, breached: number) => (met + breached === 0 ? null : met / (met + breached));
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    byStatus: statusCounts(t),
    byQueue: rowsOf(QUEUE).map((r) => ({ queueId: (r.key as string | null) ?? null, ...statusCounts(r) })),
    byAgent: rowsOf(AGENT).map((r) => ({
      agentId: String(r.key),
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
