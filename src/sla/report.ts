import { type SQL, sql } from "drizzle-orm";
import type { Executor } from "@/platform/db";
import type { Compliance, groupings } from "./schemas";

type Row = Record<string, unknown>;
const n = (v: unknown) => Number(v ?? 0);

function compliance(r: Row, prefix: string): Compliance {
  const met = n(r[`${prefix}_met`]);
  const breached = n(r[`${prefix}_breached`]);
  return {
    met,
    breached,
    pending: n(r[`${prefix}_pending`]),
    rate: met + breached === 0 ? null : met / (met + breached),
  };
}

const byKind = (r: Row) => ({
  firstResponse: compliance(r, "fr"),
  nextResponse: compliance(r, "nr"),
  resolution: compliance(r, "res"),
});

/**
 * SLA compliance of the tickets created in [from, to), per kind. A ticket breached a kind when the
 * sweep recorded a breach of it (any cycle: a reopen's resolution, any next-response wait); it met
 * it when that target settled without one (first response: answered, or resolved unanswered;
 * resolution: resolved or closed; next response: no clock running now, counted only for tickets
 * where a customer waited after a reply); pending otherwise. One statement; totals by GROUPING SETS.
 */
export async function slaCompliance(
  db: Executor,
  organizationId: string,
  window: { from: Date; to: Date },
  groupBy: (typeof groupings)[number] | null,
  timeZone = "UTC",
) {
  const key: SQL =
    groupBy === "queue"
      ? sql`queue_id::text`
      : groupBy === "agent"
        ? sql`assignee_id::text`
        : groupBy === "day"
          ? sql`to_char(created_at at time zone ${timeZone}, 'YYYY-MM-DD')`
          : sql`null::text`;
  const { rows } = await db.execute<Row>(sql`
    with w as materialized (
      select id, status in ('resolved', 'closed') as settled, queue_id, assignee_id, created_at,
             first_response_at, first_response_due_at, resolution_due_at, next_response_cycle,
             (waiting_since is not null and next_response_from = waiting_since and next_response_due_at is not null)
               as nr_running
      from tickets
      where organization_id = ${organizationId}
        and created_at >= ${window.from.toISOString()}::timestamptz and created_at < ${window.to.toISOString()}::timestamptz
    ),
    b as (
      select ticket_id,
             bool_or(kind = 'first_response') as fr,
             bool_or(kind = 'next_response') as nr,
             bool_or(kind = 'resolution') as res
      from sla_events
      where organization_id = ${organizationId} and level = 'breached' and ticket_id in (select id from w)
      group by ticket_id
    ),
    j as (
      select ${key} as key, w.*, coalesce(b.fr, false) as fr_b, coalesce(b.nr, false) as nr_b,
             coalesce(b.res, false) as res_b
      from w left join b on b.ticket_id = w.id
    )
    select key, grouping(key) as total, count(*) as tickets,
      count(*) filter (where first_response_due_at is not null and fr_b) as fr_breached,
      count(*) filter (where first_response_due_at is not null and not fr_b and (first_response_at is not null or settled)) as fr_met,
      count(*) filter (where first_response_due_at is not null and not fr_b and first_response_at is null and not settled) as fr_pending,
      count(*) filter (where next_response_cycle > 0 and nr_b) as nr_breached,
      count(*) filter (where next_response_cycle > 0 and not nr_b and (settled or not nr_running)) as nr_met,
      count(*) filter (where next_response_cycle > 0 and not nr_b and not settled and nr_running) as nr_pending,
      count(*) filter (where resolution_due_at is not null and res_b) as res_breached,
      count(*) filter (where resolution_due_at is not null and not res_b and settled) as res_met,
      count(*) filter (where resolution_due_at is not null and not res_b and not settled) as res_pending
    from j
    group by grouping sets ((key), ())
    order by total, key nulls first`);
  const total = rows.find((r) => n(r.total) === 1) ?? {};
  return {
    total: byKind(total),
    groups: rows
      .filter((r) => n(r.total) === 0)
      .map((r) => ({ key: (r.key as string | null) ?? null, tickets: n(r.tickets), ...byKind(r) })),
  };
}
