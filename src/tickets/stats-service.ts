import { sql } from "drizzle-orm";
import { NO_QUEUE, ticketStatsCounts, ticketStatsDurations, tickets } from "@/db/schema";
import type { Executor } from "@/platform/db";

const DAY_MS = 86_400_000;
/** Rollup levels: level L holds blocks of 8^L days (migrations/0022_scale_sql.sql). */
const LEVELS = 4;
const blockDays = (level: number) => 8 ** level;

/**
 * The fewest aligned blocks that tile the days [first, end) (UTC days since 1970-01-01): at each
 * step the largest block that starts there and fits. A year is at most about thirty blocks.
 */
export function periodBlocks(first: number, end: number): { level: number; period: number }[] {
  const blocks: { level: number; period: number }[] = [];
  for (let day = first; day < end; ) {
    let level = LEVELS - 1;
    while (level > 0 && (day % blockDays(level) !== 0 || day + blockDays(level) > end)) level -= 1;
    blocks.push({ level, period: day / blockDays(level) });
    day += blockDays(level);
  }
  return blocks;
}

type CountRow = {
  dimension: "queue" | "agent";
  key: string;
  open: number;
  pending: number;
  resolved: number;
  closed: number;
  fr_met: number;
  fr_late: number;
  fr_waiting: number;
  res_met: number;
  res_late: number;
  res_waiting: number;
  nr_met: number;
  nr_breached: number;
  nr_waiting: number;
};

/**
 * Counts, medians and SLA compliance over the tickets created in [from, to) (default: the last 30
 * days), as they are now. One statement: the whole UTC days of the window from the rollups that
 * the ticket trigger keeps (a few rows per block of days, src/db/schema/rollups.ts), the partial
 * days at its ends from the tickets themselves (found by tickets_stats_idx; about a day of tickets,
 * whose rows the next-response columns are read from), each ticket classified by the same SQL
 * function either way. First-response and resolution breaches of tickets still waiting depend on
 * the clock: the rollups count every waiting ticket, and the tickets whose due time has not come
 * are subtracted (two small partial indexes). Next-response compliance is GET /api/sla/report's
 * (breached: a breach recorded in sla_events, which the ticket carries), a function of ticket
 * columns alone. Medians come from histograms with 2% buckets: within 1% of the
 * exact median (0.5 s below a minute), read as the coarse histogram and one slice of the fine one.
 */
export async function ticketStats(db: Executor, organizationId: string, query: { from?: string; to?: string }) {
  const to = query.to ? new Date(query.to) : new Date();
  const from = query.from ? new Date(query.from) : new Date(to.getTime() - 30 * DAY_MS);
  const firstDay = Math.ceil(from.getTime() / DAY_MS);
  const endDay = Math.floor(to.getTime() / DAY_MS);
  const whole = firstDay < endDay;
  const blocks = whole ? periodBlocks(firstDay, endDay) : [];
  // The exact parts: before the first whole day and after the last (or the whole window if it holds none).
  const head = whole ? new Date(firstDay * DAY_MS) : to;
  const tail = whole ? new Date(endDay * DAY_MS) : to;
  const levels = `{${blocks.map((b) => b.level).join(",")}}`;
  const periods = `{${blocks.map((b) => b.period).join(",")}}`;
  const t = (d: Date) => sql`${d.toISOString()}::timestamptz`;
  const { rows } = await db.execute<{
    counts: CountRow[] | null;
    medians: Record<string, number> | null;
    fr_not_due: number;
    res_not_due: number;
  }>(sql`
    with blocks as (select * from unnest(${levels}::int[], ${periods}::int[]) as b(level, period)),
    rolled as (
      select c.dimension, c.key, c.open, c.pending, c.resolved, c.closed,
        c.first_response_met as fr_met, c.first_response_late as fr_late, c.first_response_waiting as fr_waiting,
        c.resolution_met as res_met, c.resolution_late as res_late, c.resolution_waiting as res_waiting,
        c.next_response_met as nr_met, c.next_response_breached as nr_breached, c.next_response_waiting as nr_waiting
      from ${ticketStatsCounts} c join blocks b on c.level = b.level and c.period = b.period
      where c.organization_id = ${organizationId}
    ),
    edge as materialized (
      select status, queue_id, assignee_id, created_at, first_response_at, resolved_at,
        first_response_due_at, resolution_due_at, next_response_cycle, next_response_breached_at,
        waiting_since, next_response_from, next_response_due_at
      from ${tickets}
      where organization_id = ${organizationId}
        and ((created_at >= ${t(from)} and created_at < ${t(head)}) or (created_at >= ${t(tail)} and created_at < ${t(to)}))
    ),
    edge_counted as (
      select r.* from edge e
        cross join lateral ticket_stats_rows(e.status, e.queue_id, e.assignee_id, e.first_response_at,
          e.first_response_due_at, e.resolved_at, e.resolution_due_at, e.next_response_cycle,
          e.next_response_breached_at, e.waiting_since, e.next_response_from, e.next_response_due_at) r
    ),
    counts as (
      select dimension, key, sum(open)::int as open, sum(pending)::int as pending,
        sum(resolved)::int as resolved, sum(closed)::int as closed, sum(fr_met)::int as fr_met,
        sum(fr_late)::int as fr_late, sum(fr_waiting)::int as fr_waiting, sum(res_met)::int as res_met,
        sum(res_late)::int as res_late, sum(res_waiting)::int as res_waiting, sum(nr_met)::int as nr_met,
        sum(nr_breached)::int as nr_breached, sum(nr_waiting)::int as nr_waiting
      from (select * from rolled union all select * from edge_counted) x
      group by dimension, key
      having sum(open + pending + resolved + closed) > 0
    ),
    hist as (
      select h.metric, h.fine, h.coarse
      from ${ticketStatsDurations} h join blocks b on h.level = b.level and h.period = b.period
      where h.organization_id = ${organizationId}
    ),
    edge_buckets as (
      select m.metric, ticket_stats_bucket(date_part('epoch', m.at - e.created_at)) as bucket
      from edge e cross join lateral (values ('first_response', e.first_response_at), ('resolution', e.resolved_at)) as m(metric, at)
      where m.at is not null
    ),
    coarse as (
      select metric, c, sum(n) as n from (
        select h.metric, u.i::int - 1 as c, u.n from hist h cross join lateral unnest(h.coarse) with ordinality as u(n, i)
        union all
        select metric, bucket / 32, 1 from edge_buckets
      ) x group by metric, c having sum(n) > 0
    ),
    coarse_ranked as (
      select metric, c, n, sum(n) over (partition by metric order by c) - n as before,
        sum(n) over (partition by metric) as total
      from coarse
    ),
    -- The middle rank (0-based) of each metric, or the two around the middle for an even count,
    -- with the coarse bucket holding it and its rank there.
    middle as (
      select distinct t.metric, r.k, c.c, r.k - c.before as rank_in
      from (select distinct metric, total from coarse_ranked) t
        cross join lateral (values ((t.total - 1) / 2), (t.total / 2)) as r(k)
        join coarse_ranked c on c.metric = t.metric and r.k >= c.before and r.k < c.before + c.n
    ),
    fine as (
      select m.metric, m.k, m.rank_in, f.bucket, sum(f.n) as n
      from middle m cross join lateral (
        select m.c * 32 + u.i::int - 1 as bucket, u.n
        from hist h cross join lateral unnest(h.fine[m.c * 32 + 1 : m.c * 32 + 32]) with ordinality as u(n, i)
        where h.metric = m.metric
        union all
        select e.bucket, 1 from edge_buckets e where e.metric = m.metric and e.bucket / 32 = m.c
      ) f
      group by 1, 2, 3, 4 having sum(f.n) > 0
    ),
    medians as (
      select metric, avg(ticket_stats_bucket_value(bucket)) as seconds
      from (select *, sum(n) over (partition by metric, k order by bucket) - n as before from fine) x
      where rank_in >= before and rank_in < before + n
      group by metric
    )
    select
      (select json_agg(counts order by dimension, key) from counts) as counts,
      (select json_object_agg(metric, seconds) from medians) as medians,
      (select count(*)::int from ${tickets} where organization_id = ${organizationId} and first_response_at is null
        and first_response_due_at is not null and first_response_due_at >= now()
        and created_at >= ${t(from)} and created_at < ${t(to)}) as fr_not_due,
      (select count(*)::int from ${tickets} where organization_id = ${organizationId} and resolved_at is null
        and resolution_due_at is not null and resolution_due_at >= now()
        and created_at >= ${t(from)} and created_at < ${t(to)}) as res_not_due`);
  const row = rows[0];
  const counts = row?.counts ?? [];
  const queues = counts.filter((r) => r.dimension === "queue");
  const sum = (field: keyof CountRow) => queues.reduce((n, r) => n + Number(r[field]), 0);
  const byStatus = (r: Pick<CountRow, "open" | "pending" | "resolved" | "closed">) => ({
    open: r.open,
    pending: r.pending,
    resolved: r.resolved,
    closed: r.closed,
  });
  const compliance = (met: number, breached: number) => ({
    met,
    breached,
    rate: met + breached === 0 ? null : met / (met + breached),
  });
  const median = (metric: string) => {
    const seconds = row?.medians?.[metric];
    return seconds === undefined || seconds === null ? null : Math.round(seconds);
  };
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    byStatus: { open: sum("open"), pending: sum("pending"), resolved: sum("resolved"), closed: sum("closed") },
    byQueue: queues.map((r) => ({ queueId: r.key === NO_QUEUE ? null : r.key, ...byStatus(r) })),
    byAgent: counts
      .filter((r) => r.dimension === "agent")
      .map((r) => ({ agentId: r.key, open: r.open, pending: r.pending, resolved: r.resolved })),
    firstResponseMedianSeconds: median("first_response"),
    resolutionMedianSeconds: median("resolution"),
    sla: {
      firstResponse: compliance(sum("fr_met"), sum("fr_late") + sum("fr_waiting") - (row?.fr_not_due ?? 0)),
      resolution: compliance(sum("res_met"), sum("res_late") + sum("res_waiting") - (row?.res_not_due ?? 0)),
      nextResponse: compliance(sum("nr_met"), sum("nr_breached")),
    },
  };
}
