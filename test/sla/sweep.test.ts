// The SLA sweep through the gateway's scheduled entry point: warnings and breaches taken once,
// whoever runs the cron and however often, and what each alert sends.
import { inArray, sql } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { tickets } from "@/db/schema";
import { withDb } from "../support/db";
import { call } from "../support/http";
import { fakeRequests } from "../support/provider";
import {
  alertsOf,
  assign,
  eventsAt,
  jobsOf,
  notificationsOf,
  runScheduled,
  slackTexts,
  slaOrg,
  ticketOf,
  travel,
} from "./support";

afterEach(() => vi.restoreAllMocks());

const MINUTE = 60;

describe("SLA sweep", () => {
  it("warns at 80 % and breaches at the due time, once each, telling the assignee, supervisors, admins, the events webhook and Slack", async () => {
    const org = await slaOrg({ slaFirstResponseMinutes: 10 });
    const { ticketId, from } = await org.inbound("Meu pedido não chegou");
    await assign(org, ticketId, org.agent);

    await runScheduled();
    expect(await alertsOf(org.tenant.organizationId)).toEqual([]);

    await travel([ticketId], 9 * MINUTE);
    await runScheduled();
    await runScheduled();
    expect(await alertsOf(org.tenant.organizationId)).toEqual([{ ticketId, alert: "first_response:warning:1" }]);
    const ticket = await ticketOf(org, ticketId);
    const [warned] = await notificationsOf(org.agent.userId);
    expect(warned).toMatchObject({
      type: "sla.warning",
      ticketId,
      title: `SLA warning: first response of ticket #${ticket.number}`,
      body: expect.stringMatching(/^Queue .+ · due in \d+ (s|min)$/),
    });
    for (const user of [org.supervisor.userId, org.tenant.userId]) {
      expect((await notificationsOf(user)).map((n) => n.type)).toEqual(["sla.warning"]);
    }
    expect(await notificationsOf(org.otherAgent.userId)).toEqual([]);
    const [warning] = await eventsAt(org.hooks.events);
    expect(warning).toMatchObject({
      type: "sla.warning",
      data: { ticketId, ticketNumber: ticket.number, kind: "first_response", cycle: 1, queueId: org.queueId },
    });
    const [warnText] = await slackTexts(org.hooks.slack);
    expect(warnText).toContain(`SLA em risco: primeira resposta, ticket #${ticket.number}, fila ${org.queueName}`);
    expect(warnText).toContain(`contato +55*******${from.slice(-4)}`);
    expect(warnText).not.toContain(from);

    await travel([ticketId], 3 * MINUTE);
    await runScheduled();
    await runScheduled();
    expect((await alertsOf(org.tenant.organizationId)).map((a) => a.alert)).toEqual([
      "first_response:warning:1",
      "first_response:breached:1",
    ]);
    const breachText = (await slackTexts(org.hooks.slack))[1];
    expect(breachText).toMatch(/SLA estourado: primeira resposta, ticket #\d+, .* (1|2) min de atraso\.$/);
    expect((await eventsAt(org.hooks.events)).map((e) => e.type)).toEqual(["sla.warning", "sla.breached"]);
    expect((await notificationsOf(org.agent.userId)).map((n) => n.type)).toEqual(["sla.warning", "sla.breached"]);

    const detail = await ticketOf(org, ticketId);
    expect(detail.sla).toMatchObject({
      firstResponseDueAt: detail.firstResponseDueAt,
      nextResponseDueAt: null,
      resolutionDueAt: null,
      cycle: 1,
      breached: [
        { kind: "first_response", cycle: 1, dueAt: detail.firstResponseDueAt, breachedAt: detail.firstResponseDueAt },
      ],
    });

    // Answering late changes nothing that was raised; nothing more is raised.
    await org.reply(ticketId);
    await runScheduled();
    expect(await alertsOf(org.tenant.organizationId)).toHaveLength(2);
    expect(await fakeRequests(org.hooks.slack)).toHaveLength(2);
  });

  it("takes each alert once when several cron runs overlap", async () => {
    const org = await slaOrg({ slaFirstResponseMinutes: 10 });
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push((await org.inbound(`cliente ${i}`)).ticketId);
    await travel(ids, 11 * MINUTE);

    await Promise.all([runScheduled(), runScheduled(), runScheduled(), runScheduled()]);

    const alerts = await alertsOf(org.tenant.organizationId);
    expect(alerts.map((a) => a.alert)).toEqual(Array(12).fill("first_response:breached:1"));
    expect(new Set(alerts.map((a) => a.ticketId))).toEqual(new Set(ids));
    expect(await notificationsOf(org.supervisor.userId)).toHaveLength(12);
    expect(await notificationsOf(org.tenant.userId)).toHaveLength(12);
    expect(await eventsAt(org.hooks.events)).toHaveLength(12);
    expect(await fakeRequests(org.hooks.slack)).toHaveLength(12);
    expect(new Set((await eventsAt(org.hooks.events)).map((e) => e.data.ticketId))).toEqual(new Set(ids));
  });

  it("alerts the rest of a failed run on the next one, none twice", async () => {
    const org = await slaOrg({ slaFirstResponseMinutes: 10 });
    const ids: string[] = [];
    for (let i = 0; i < 15; i++) ids.push((await org.inbound(`cliente ${i}`)).ticketId);
    await travel(ids, 11 * MINUTE);
    // First in the sweep's order, all at one instant with microseconds (which a JS Date cannot
    // hold): the keyset goes by id, batches of five are [0-4], [5-9], [10-14] (ids grow with time).
    await withDb((db) =>
      db.execute(
        sql`update tickets set sla_check_at = timestamptz '2000-01-01T00:00:00.123456Z' where ${inArray(tickets.id, ids)}`,
      ),
    );
    const faulty = ids[7] as string;
    const trigger = `sla_fault_${faulty.replaceAll("-", "")}`;
    await withDb(async (db) => {
      await db.execute(
        sql.raw(`create function ${trigger}() returns trigger language plpgsql as $$ begin
          if new.ticket_id = '${faulty}' then raise exception 'injected fault in the middle batch'; end if;
          return new; end $$`),
      );
      await db.execute(
        sql.raw(`create trigger ${trigger} before insert on sla_events for each row execute function ${trigger}()`),
      );
    });
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const env = { SLA_SWEEP_BATCH_SIZE: "5" };
    try {
      await runScheduled({ env });
    } finally {
      await withDb(async (db) => {
        await db.execute(sql.raw(`drop trigger ${trigger} on sla_events`));
        await db.execute(sql.raw(`drop function ${trigger}()`));
      });
    }
    const failure = errors.mock.calls.map((a) => JSON.parse(String(a[0]))).find((l) => l.msg === "cron task failed");
    expect(failure).toMatchObject({
      task: "sla.sweep",
      error: { message: expect.stringContaining("1 SLA batch(es) failed") },
    });
    const first = new Set((await alertsOf(org.tenant.organizationId)).map((a) => a.ticketId));
    expect(first).toEqual(new Set([...ids.slice(0, 5), ...ids.slice(10)]));
    expect(await eventsAt(org.hooks.events)).toHaveLength(10);

    await runScheduled({ env });
    await runScheduled({ env });
    const alerts = await alertsOf(org.tenant.organizationId);
    expect(alerts).toHaveLength(15);
    expect(new Set(alerts.map((a) => a.ticketId))).toEqual(new Set(ids));
    expect(await notificationsOf(org.supervisor.userId)).toHaveLength(15);
    const events = await eventsAt(org.hooks.events);
    expect(events).toHaveLength(15);
    expect(new Set(events.map((e) => e.data.ticketId)).size).toBe(15);
    expect(await fakeRequests(org.hooks.slack)).toHaveLength(15);
  });

  it("starts a new cycle on reopen, which alerts again", async () => {
    const org = await slaOrg({ slaResolutionMinutes: 30 });
    const { ticketId } = await org.inbound("Preciso de ajuda");
    await travel([ticketId], 31 * MINUTE);
    await runScheduled();
    expect((await alertsOf(org.tenant.organizationId)).map((a) => a.alert)).toEqual(["resolution:breached:1"]);

    const resolved = await call(`/api/tickets/${ticketId}/resolve`, {
      method: "POST",
      token: org.tenant.token,
    });
    expect(resolved.status, resolved.text).toBe(200);
    const reopened = await call(`/api/tickets/${ticketId}/reopen`, {
      method: "POST",
      token: org.tenant.token,
    });
    expect(reopened.status, reopened.text).toBe(200);
    const detail = await ticketOf(org, ticketId);
    expect(detail.sla.cycle).toBe(2);
    expect(Date.parse(detail.sla.resolutionDueAt) - Date.now()).toBeGreaterThan(29 * 60_000);

    await runScheduled();
    expect(await alertsOf(org.tenant.organizationId)).toHaveLength(1);
    await travel([ticketId], 25 * MINUTE);
    await runScheduled();
    await travel([ticketId], 6 * MINUTE);
    await runScheduled();
    expect((await alertsOf(org.tenant.organizationId)).map((a) => a.alert)).toEqual([
      "resolution:breached:1",
      "resolution:warning:2",
      "resolution:breached:2",
    ]);
    expect((await ticketOf(org, ticketId)).sla.breached.map((b: { cycle: number }) => b.cycle)).toEqual([1, 2]);
    expect((await eventsAt(org.hooks.events)).map((e) => [e.type, e.data.cycle])).toEqual([
      ["sla.breached", 1],
      ["sla.warning", 2],
      ["sla.breached", 2],
    ]);
    expect((await jobsOf(org.tenant.organizationId, "slack.notify")).every((j) => j.status === "done")).toBe(true);
  });
});
