import { and, asc, eq, gt, inArray, lte, type SQL, sql } from "drizzle-orm";
import type { CronTask } from "@/cron/run";
import { contacts, integrations, NO_QUEUE, organizations, queues, slaEvents, slaSettings, tickets } from "@/db/schema";
import { dispatch } from "@/jobs/dispatch";
import { enqueue, type NewJob, type QueuedJob } from "@/jobs/outbox";
import { alertRecipients, insertNotifications, type NewNotification } from "@/notifications/store";
import { hasEventsWebhook } from "@/notify/settings";
import type { Executor, Transaction } from "@/platform/db";
import type { Services } from "@/platform/services";
import { alertJobs, alertNotifications, type Destinations, type TakenAlert } from "./alerts";
import { evaluate } from "./evaluate";
import { deadline, policyColumns, policyOf } from "./policy";

/** A row of the VALUES list the bulk updates join against; every value typed, so nulls are too. */
const valuesOf = (rows: SQL[][]) =>
  sql.join(
    rows.map((row) => sql`(${sql.join(row, sql`, `)})`),
    sql`, `,
  );
const ts = (d: Date | null) => sql`${d ? d.toISOString() : null}::timestamptz`;
const uuid = (id: string) => sql`${id}::uuid`;

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
type StatsKey = { organizationId: string; queueId: string | null; createdAt: Date };
/**
 * The order a statement that changes many tickets' statistics changes them in: their rollup rows'
 * order (organization, queue, creation day; migrations/0024_nr_rollup_sql.sql), so that it takes
 * those rows' locks in the order every single-ticket change takes them and never deadlocks with a
 * webhook, an action or an overlapping sweep. Lowercase uuids compare as Postgres compares them.
 */
const statsOrder = (a: StatsKey, b: StatsKey) =>
  compare(a.organizationId, b.organizationId) ||
  compare(a.queueId ?? NO_QUEUE, b.queueId ?? NO_QUEUE) ||
  a.createdAt.getTime() - b.createdAt.getTime();

const waitingUnstarted = sql`${tickets.waitingSince} is not null and ${tickets.firstResponseAt} is not null and ${tickets.nextResponseFrom} is distinct from ${tickets.waitingSince} and ${tickets.status} in ('open', 'pending')`;

/**
 * Starts next-response clocks: customers who wrote after a reply and whose wait has no clock yet
 * (tickets_sla_waiting_idx), in keyset batches by id. The update only lands on a ticket still
 * waiting since the same instant, so overlapping sweeps start each clock once. A ticket whose
 * previous clocks are still due to be judged (slaCheckAt passed) waits for the next tick, so its
 * old clock is judged before being replaced.
 */
async function startNextResponseClocks(db: Executor, now: Date, batchSize: number): Promise<number> {
  let after: string | undefined;
  let started = 0;
  for (;;) {
    const rows = await db
      .select({
        id: tickets.id,
        organizationId: tickets.organizationId,
        queueId: tickets.queueId,
        createdAt: tickets.createdAt,
        waitingSince: tickets.waitingSince,
        // Compared back exactly (microseconds), so the update lands on the wait that was read.
        waitedKey: sql<string>`${tickets.waitingSince}::text`,
        ...policyColumns,
      })
      .from(tickets)
      .leftJoin(queues, eq(queues.id, tickets.queueId))
      .leftJoin(slaSettings, eq(slaSettings.organizationId, tickets.organizationId))
      .where(
        and(
          waitingUnstarted,
          sql`(${tickets.slaCheckAt} is null or ${tickets.slaCheckAt} > ${now.toISOString()}::timestamptz)`,
          after ? gt(tickets.id, after) : undefined,
        ),
      )
      .orderBy(asc(tickets.id))
      .limit(batchSize);
    if (rows.length === 0) break;
    // A clock start changes the ticket's next-response figures (the stats trigger): in the rollups'
    // order, which the update follows (a nested loop over the list and the primary key).
    const values = [...rows].sort(statsOrder).map((row) => {
      const from = row.waitingSince as Date;
      const policy = policyOf(row);
      const { warnAt, dueAt } = deadline(policy, from, policy.nextResponseMinutes);
      return [uuid(row.id), sql`${row.waitedKey}::timestamptz`, ts(warnAt), ts(dueAt)];
    });
    const updated = await db.execute(sql`
      update ${tickets} set
        next_response_from = v.waited,
        next_response_warn_at = v.warn,
        next_response_due_at = v.due,
        next_response_cycle = tickets.next_response_cycle + (v.due is not null)::int,
        sla_check_at = least(tickets.sla_check_at, v.warn, v.due)
      from (values ${valuesOf(values)}) as v(id, waited, warn, due)
      where tickets.id = v.id and tickets.waiting_since = v.waited
        and tickets.next_response_from is distinct from tickets.waiting_since`);
    started += updated.rowCount ?? 0;
    after = rows.at(-1)?.id;
    if (rows.length < batchSize) break;
  }
  return started;
}

/**
 * Where a batch ended: the check time as Postgres prints it (microseconds; a JS Date keeps only
 * milliseconds, and a key rounded down would hand the same rows out again), and the id.
 */
type Key = { at: string; id: string };

/** Due tickets after `after`, in (slaCheckAt, id) order from tickets_sla_check_idx, locked (others skip them). */
function dueBatch(tx: Transaction, now: Date, after: Key | undefined, batchSize: number) {
  return tx
    .select({
      id: tickets.id,
      organizationId: tickets.organizationId,
      createdAt: tickets.createdAt,
      number: tickets.number,
      queueId: tickets.queueId,
      assigneeId: tickets.assigneeId,
      checkKey: sql<string>`${tickets.slaCheckAt}::text`,
      status: tickets.status,
      firstResponseAt: tickets.firstResponseAt,
      firstResponseWarnAt: tickets.firstResponseWarnAt,
      firstResponseDueAt: tickets.firstResponseDueAt,
      resolvedAt: tickets.resolvedAt,
      closedAt: tickets.closedAt,
      resolutionWarnAt: tickets.resolutionWarnAt,
      resolutionDueAt: tickets.resolutionDueAt,
      slaCycle: tickets.slaCycle,
      waitingSince: tickets.waitingSince,
      answeredAt: tickets.answeredAt,
      nextResponseFrom: tickets.nextResponseFrom,
      nextResponseWarnAt: tickets.nextResponseWarnAt,
      nextResponseDueAt: tickets.nextResponseDueAt,
      nextResponseCycle: tickets.nextResponseCycle,
      queueName: queues.name,
      queueSlack: sql<boolean>`${queues.slackWebhook} is not null`,
      contactPhone: contacts.phone,
      ...policyColumns,
    })
    .from(tickets)
    .innerJoin(contacts, eq(contacts.id, tickets.contactId))
    .leftJoin(queues, eq(queues.id, tickets.queueId))
    .leftJoin(slaSettings, eq(slaSettings.organizationId, tickets.organizationId))
    .where(
      and(
        lte(tickets.slaCheckAt, now),
        after ? sql`(${tickets.slaCheckAt}, ${tickets.id}) > (${after.at}::timestamptz, ${after.id}::uuid)` : undefined,
      ),
    )
    .orderBy(asc(tickets.slaCheckAt), asc(tickets.id))
    .limit(batchSize)
    .for("update", { of: tickets, skipLocked: true });
}

/** Where each organization's alerts go, read once per sweep for the organizations it meets. */
async function destinationsOf(db: Executor, organizationIds: string[], known: Map<string, Destinations>) {
  const missing = organizationIds.filter((id) => !known.has(id));
  if (missing.length === 0) return;
  const [orgs, slack] = await Promise.all([
    db
      .select({ id: organizations.id, settings: organizations.settings })
      .from(organizations)
      .where(inArray(organizations.id, missing)),
    db
      .select({ organizationId: integrations.organizationId })
      .from(integrations)
      .where(and(inArray(integrations.organizationId, missing), eq(integrations.provider, "slack"))),
  ]);
  const slackOrgs = new Set(slack.map((s) => s.organizationId));
  for (const org of orgs) {
    known.set(org.id, { eventsWebhook: hasEventsWebhook(org.settings), slack: slackOrgs.has(org.id) });
  }
}

/**
 * One batch in one transaction: judge each ticket's clocks, take the alerts (insert on conflict do
 * nothing: an alert taken by an overlapping or earlier sweep returns no row and raises nothing),
 * write the in-app notifications and the jobs of the alerts actually taken, and move each ticket's
 * next check. A failure rolls the whole batch back, alerts and notifications with it.
 */
async function fireBatch(
  tx: Transaction,
  now: Date,
  after: Key | undefined,
  batchSize: number,
  destinations: Map<string, Destinations>,
  seen: (last: Key) => void,
) {
  const rows = await dueBatch(tx, now, after, batchSize);
  const last = rows.at(-1);
  if (!last) return { tickets: 0, alerts: 0, jobs: [] as QueuedJob[] };
  seen({ at: last.checkKey, id: last.id });
  const judged = rows.map((row) => ({ row, ...evaluate(row, now) }));
  // A next-response breach marks its ticket (a trigger on sla_events) and so changes its figures:
  // inserted in the rollups' order, which the row triggers follow.
  const wanted = [...judged]
    .sort((a, b) => statsOrder(a.row, b.row))
    .flatMap(({ row, alerts }) =>
      alerts.map((alert) => ({
        organizationId: row.organizationId,
        ticketId: row.id,
        ...alert,
        queueId: row.queueId,
        assigneeId: row.assigneeId,
      })),
    );
  const taken = wanted.length
    ? await tx
        .insert(slaEvents)
        .values(wanted)
        .onConflictDoNothing({ target: [slaEvents.ticketId, slaEvents.kind, slaEvents.level, slaEvents.cycle] })
        .returning()
    : [];
  const rowOf = new Map(rows.map((row) => [row.id, row]));
  const alerts: (TakenAlert & { queueSlack: boolean })[] = taken.map((event) => {
    const row = rowOf.get(event.ticketId) as (typeof rows)[number];
    return {
      eventId: event.id,
      organizationId: event.organizationId,
      ticketId: event.ticketId,
      ticketNumber: row.number,
      queueId: row.queueId,
      queueName: row.queueName,
      assigneeId: row.assigneeId,
      contactPhone: row.contactPhone,
      kind: event.kind,
      level: event.level,
      cycle: event.cycle,
      crossedAt: event.crossedAt,
      dueAt: event.dueAt,
      policy: policyOf(row),
      queueSlack: row.queueSlack,
    };
  });
  const jobs: NewJob[] = [];
  if (alerts.length) {
    const organizationIds = [...new Set(alerts.map((a) => a.organizationId))];
    const assignees = [...new Set(alerts.flatMap((a) => (a.assigneeId ? [a.assigneeId] : [])))];
    const [recipients] = await Promise.all([
      alertRecipients(tx, organizationIds, assignees),
      destinationsOf(tx, organizationIds, destinations),
    ]);
    const rowsToNotify: NewNotification[] = [];
    for (const alert of alerts) {
      rowsToNotify.push(...alertNotifications(alert, recipients.get(alert.organizationId), now));
      const to = destinations.get(alert.organizationId) ?? { eventsWebhook: false, slack: false };
      jobs.push(...alertJobs(alert, to, alert.queueSlack, now));
    }
    await insertNotifications(tx, rowsToNotify);
  }
  // The breach columns keep the first breach of the current cycle (a reopen clears the resolution one).
  const breachedAt = (alerts: { kind: string; level: string; dueAt: Date }[], kind: string) =>
    alerts.find((a) => a.kind === kind && a.level === "breached")?.dueAt ?? null;
  await tx.execute(sql`
    update ${tickets} set
      sla_check_at = v.next,
      first_response_breached_at = coalesce(tickets.first_response_breached_at, v.first_response),
      resolution_breached_at = coalesce(tickets.resolution_breached_at, v.resolution)
    from (values ${valuesOf(
      judged.map(({ row, alerts, nextCheckAt }) => [
        uuid(row.id),
        ts(nextCheckAt),
        ts(breachedAt(alerts, "first_response")),
        ts(breachedAt(alerts, "resolution")),
      ]),
    )}) as v(id, next, first_response, resolution)
    where tickets.id = v.id`);
  return { tickets: rows.length, alerts: alerts.length, jobs: await enqueue(tx, jobs) };
}

/**
 * Judges every ticket whose next check has come (warnings and due times of first response, next
 * response and resolution), in keyset batches of SLA_SWEEP_BATCH_SIZE, each its own transaction
 * whose jobs are dispatched after its commit. A batch that fails is rolled back and left due (the
 * next tick judges it again, and the alerts it had taken are taken then, once); the sweep goes on
 * past it and reports the failure at the end, so one bad batch delays no other ticket.
 */
async function fireDueAlerts(services: Services, now: Date, batchSize: number) {
  const destinations = new Map<string, Destinations>();
  const failures: unknown[] = [];
  let after: Key | undefined;
  let judged = 0;
  let alerts = 0;
  for (;;) {
    let last: Key | undefined;
    try {
      const batch = await services.db.transaction((tx) =>
        fireBatch(tx, now, after, batchSize, destinations, (key) => {
          last = key;
        }),
      );
      judged += batch.tickets;
      alerts += batch.alerts;
      if (batch.jobs.length) await dispatch(services, batch.jobs);
      if (batch.tickets < batchSize) break;
    } catch (error) {
      if (!last) throw error;
      failures.push(error);
      services.log.warn("sla sweep batch failed; its tickets are judged again on the next tick", { error });
    }
    after = last;
  }
  if (failures.length) {
    throw new Error(`${failures.length} SLA batch(es) failed (first: ${String(failures[0])}); ${alerts} alerts taken`);
  }
  return { judged, alerts };
}

/** The SLA sweep of every cron tick (every minute; `/__scheduled` locally). */
export const slaSweep: CronTask = {
  name: "sla.sweep",
  async run(services, scheduledAt) {
    const batchSize = services.env.SLA_SWEEP_BATCH_SIZE;
    const started = await startNextResponseClocks(services.db, scheduledAt, batchSize);
    return { nextResponseClocksStarted: started, ...(await fireDueAlerts(services, scheduledAt, batchSize)) };
  },
};
