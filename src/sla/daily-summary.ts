import { eq, isNotNull, sql } from "drizzle-orm";
import { localDay, localTime } from "@/business-hours/clock";
import type { CronTask } from "@/cron/run";
import { integrations, organizations, slaDailySummaries, slaSettings } from "@/db/schema";
import { dispatch } from "@/jobs/dispatch";
import { enqueue, type NewJob } from "@/jobs/outbox";
import { alertRecipients, insertNotifications, recipientsOf } from "@/notifications/store";
import { eventJob } from "@/notify/job";
import { hasEventsWebhook } from "@/notify/settings";
import { slackJob } from "@/notify/slack-message";
import type { Executor } from "@/platform/db";
import type { Services } from "@/platform/services";
import { duration } from "./alerts";

const DAY_MS = 86_400_000;
const dateKey = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);
const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

export type DailyFigures = {
  day: string;
  opened: number;
  resolved: number;
  breaches: { total: number; firstResponse: number; nextResponse: number; resolution: number };
  firstResponseMedianSeconds: number | null;
};

/** One local day of an organization, [from, to): tickets opened and resolved, breaches, the median first response. */
async function figuresOf(db: Executor, organizationId: string, from: Date, to: Date, day: string) {
  const range = (column: string) =>
    sql`${sql.raw(column)} >= ${from.toISOString()}::timestamptz and ${sql.raw(column)} < ${to.toISOString()}::timestamptz`;
  const { rows } = await db.execute<Record<string, string | number | null>>(sql`
    select
      (select count(*) from tickets where organization_id = ${organizationId} and ${range("created_at")}) as opened,
      (select count(*) from tickets where organization_id = ${organizationId} and ${range("resolved_at")}) as resolved,
      (select percentile_cont(0.5) within group (order by date_part('epoch', first_response_at - created_at))
         from tickets where organization_id = ${organizationId} and ${range("first_response_at")}) as median,
      b.first_response, b.next_response, b.resolution
    from (
      select count(*) filter (where kind = 'first_response') as first_response,
             count(*) filter (where kind = 'next_response') as next_response,
             count(*) filter (where kind = 'resolution') as resolution
      from sla_events
      where organization_id = ${organizationId} and level = 'breached' and ${range("crossed_at")}
    ) b`);
  const row = rows[0] ?? {};
  const n = (v: unknown) => Number(v ?? 0);
  const breaches = {
    firstResponse: n(row.first_response),
    nextResponse: n(row.next_response),
    resolution: n(row.resolution),
  };
  return {
    day,
    opened: n(row.opened),
    resolved: n(row.resolved),
    breaches: { total: breaches.firstResponse + breaches.nextResponse + breaches.resolution, ...breaches },
    firstResponseMedianSeconds: row.median === null || row.median === undefined ? null : Math.round(Number(row.median)),
  } satisfies DailyFigures;
}

function summaryText(f: DailyFigures) {
  const [year, month, date] = f.day.split("-");
  const median = f.firstResponseMedianSeconds === null ? "sem respostas" : duration(f.firstResponseMedianSeconds);
  const kinds = [
    f.breaches.firstResponse && `${f.breaches.firstResponse} primeira resposta`,
    f.breaches.nextResponse && `${f.breaches.nextResponse} próxima resposta`,
    f.breaches.resolution && `${f.breaches.resolution} resolução`,
  ].filter(Boolean);
  return {
    title: `Daily summary for ${f.day}`,
    body: `${f.opened} opened · ${f.resolved} resolved · ${f.breaches.total} SLA breaches · median first response ${
      f.firstResponseMedianSeconds === null ? "none" : duration(f.firstResponseMedianSeconds)
    }`,
    slack: `:bar_chart: Resumo de ${date}/${month}/${year}: ${f.opened} abertos, ${f.resolved} resolvidos, ${f.breaches.total} SLAs estourados${
      kinds.length ? ` (${kinds.join(", ")})` : ""
    }, mediana da primeira resposta ${median}.`,
  };
}

/**
 * Sends one organization's summary of `day` unless it was sent: the summary row's key
 * (organization, day) is taken first, so overlapping ticks send it once; the figures, the in-app
 * rows and the jobs commit with it.
 */
async function sendSummary(services: Services, organizationId: string, day: number, timeZone: string) {
  const key = dateKey(day);
  const jobs = await services.db.transaction(async (tx) => {
    const [taken] = await tx
      .insert(slaDailySummaries)
      .values({ organizationId, day: key, figures: {} })
      .onConflictDoNothing()
      .returning({ day: slaDailySummaries.day });
    if (!taken) return null;
    const figures = await figuresOf(tx, organizationId, localTime(timeZone, day), localTime(timeZone, day + 1), key);
    await tx
      .update(slaDailySummaries)
      .set({ figures })
      .where(sql`${slaDailySummaries.organizationId} = ${organizationId} and ${slaDailySummaries.day} = ${key}`);
    const text = summaryText(figures);
    const recipients = await alertRecipients(tx, [organizationId], []);
    await insertNotifications(
      tx,
      recipientsOf(recipients.get(organizationId), null).map((userId) => ({
        organizationId,
        userId,
        type: "sla.daily_summary",
        title: text.title,
        body: text.body,
        data: figures,
        sourceKey: `sla.daily_summary:${key}`,
      })),
    );
    const [org] = await tx
      .select({ settings: organizations.settings })
      .from(organizations)
      .where(eq(organizations.id, organizationId));
    const [slack] = await tx
      .select({ id: integrations.id })
      .from(integrations)
      .where(sql`${integrations.organizationId} = ${organizationId} and ${integrations.provider} = 'slack'`);
    const pending: NewJob[] = [];
    const dedupe = `sla.daily_summary:${organizationId}:${key}`;
    if (hasEventsWebhook(org?.settings)) pending.push(eventJob(organizationId, "sla.daily_summary", figures, dedupe));
    if (slack) pending.push(slackJob(organizationId, dedupe, text.slack));
    return enqueue(tx, pending);
  });
  if (jobs?.length) await dispatch(services, jobs);
  return jobs !== null;
}

/**
 * Each organization with a daily summary gets, once its local time passes the configured HH:MM,
 * the figures of its previous local day. A tick that comes late (the cron was down at that time)
 * still sends it, that same local day.
 */
export const dailySummary: CronTask = {
  name: "sla.daily_summary",
  async run(services, scheduledAt) {
    const configured = await services.db
      .select({
        organizationId: slaSettings.organizationId,
        time: slaSettings.dailySummaryTime,
        timeZone: slaSettings.dailySummaryTimezone,
        // The outer column is spelled out: drizzle prints the columns of a one-table select
        // unqualified, and an unqualified organization_id here would be the summary's own, making
        // this the latest day of every organization (one organization's summary held back others').
        lastDay: sql<string | null>`(select max(d.day) from ${slaDailySummaries} d
          where d.organization_id = ${slaSettings}.organization_id)`,
      })
      .from(slaSettings)
      .where(isNotNull(slaSettings.dailySummaryTime));
    let sent = 0;
    let failed = 0;
    for (const org of configured) {
      const timeZone = org.timeZone ?? "UTC";
      const today = localDay(timeZone, scheduledAt);
      if (scheduledAt < localTime(timeZone, today, minutesOf(org.time ?? "00:00"))) continue;
      if (org.lastDay && org.lastDay >= dateKey(today - 1)) continue;
      try {
        if (await sendSummary(services, org.organizationId, today - 1, timeZone)) sent += 1;
      } catch (error) {
        // One organization's failure (retried next tick) must not hold back the others' summaries.
        failed += 1;
        services.log.warn("daily summary failed; retried next tick", { organizationId: org.organizationId, error });
      }
    }
    if (failed) throw new Error(`${failed} daily summaries failed; ${sent} sent`);
    return { dailySummaries: sent };
  },
};
