// The daily summary: the previous local day's figures, once per organization and day, at the
// organization's local time, however many cron runs overlap.
import { describe, expect, it } from "vitest";
import { slaEvents, type tickets } from "@/db/schema";
import { withDb } from "../support/db";
import { call } from "../support/http";
import { eventsAt, notificationsOf, runScheduled, type SlaOrg, seedTicket, slackTexts, slaOrg } from "./support";

const HOUR = 3600_000;
// The organization's zone is the fixed offset where it is about 03:00 now, five hours before its
// summary is due. The cron runs of other test files, at the real time, then never send this
// organization's summary of yesterday, which would stop the earlier day this test summarizes (a
// later day sent stops earlier ones); and this test's runs all lie in the past, so its sweeps
// never breach other files' running clocks. Offsets -11 to +12: local midday is the same UTC date.
const ahead = (3 - new Date().getUTCHours() + 24) % 24;
const offset = ahead > 12 ? ahead - 24 : ahead;
const timezone = offset === 0 ? "Etc/GMT" : `Etc/GMT${offset > 0 ? "-" : "+"}${Math.abs(offset)}`;
/** The UTC instant of local midnight `daysAgo` days ago in the organization's zone. */
function localMidnight(daysAgo: number): Date {
  const local = new Date(Date.now() + offset * HOUR);
  local.setUTCHours(0, 0, 0, 0);
  return new Date(local.getTime() - daysAgo * 24 * HOUR - offset * HOUR);
}
const hoursAfter = (d: Date, hours: number) => new Date(d.getTime() + hours * HOUR);

describe("daily summary", () => {
  it("sends the previous local day's figures once, at the configured local time, even with overlapping runs", async () => {
    const org = await slaOrg({ slaFirstResponseMinutes: 10 });
    const set = await call("/api/sla/settings", {
      method: "PUT",
      token: org.tenant.token,
      json: { businessHours: null, dailySummary: { time: "08:00", timezone } },
    });
    expect(set.status, set.text).toBe(200);
    expect((await call("/api/sla/settings", { token: org.supervisor.token })).body).toEqual(set.body);

    const day = localMidnight(4); // the day summarized
    const organizationId = org.tenant.organizationId;
    const ticket = (values: Partial<typeof tickets.$inferInsert>) => seedTicket(organizationId, values);
    // Opened that day: t1, t2, t3, t5. Resolved that day: t1, t4. First responses that day:
    // t1 after 120 s, t2 after 600 s, t4 after 9,000 s (opened the day before): median 600 s.
    const t1 = await ticket({
      createdAt: hoursAfter(day, 1),
      firstResponseAt: new Date(hoursAfter(day, 1).getTime() + 120_000),
      status: "resolved",
      resolvedAt: hoursAfter(day, 5),
    });
    const t2 = await ticket({
      createdAt: hoursAfter(day, 2),
      firstResponseAt: new Date(hoursAfter(day, 2).getTime() + 600_000),
    });
    const t3 = await ticket({ createdAt: hoursAfter(day, 3) });
    await ticket({
      createdAt: hoursAfter(day, -2),
      firstResponseAt: hoursAfter(day, 0.5),
      status: "resolved",
      resolvedAt: hoursAfter(day, 6),
    });
    const t5 = await ticket({ createdAt: hoursAfter(day, 23), status: "resolved", resolvedAt: hoursAfter(day, 25) });
    await ticket({ createdAt: hoursAfter(day, 25) });
    const event = (t: typeof t1, kind: "first_response" | "resolution", level: "warning" | "breached", at: Date) => ({
      organizationId,
      ticketId: t.id,
      kind,
      level,
      cycle: 1,
      crossedAt: at,
      dueAt: at,
    });
    // Breaches that day: one first response, one resolution; a warning and the next day's breach do not count.
    await withDb((db) =>
      db
        .insert(slaEvents)
        .values([
          event(t3, "first_response", "breached", hoursAfter(day, 3.5)),
          event(t2, "resolution", "breached", hoursAfter(day, 10)),
          event(t2, "first_response", "warning", hoursAfter(day, 2.1)),
          event(t5, "resolution", "breached", hoursAfter(day, 24.5)),
        ]),
    );

    const nextDay = hoursAfter(day, 24);
    await runScheduled({ at: hoursAfter(nextDay, 7.98) }); // 07:59 local: not yet
    expect(await eventsAt(org.hooks.events)).toEqual([]);
    await Promise.all([0, 1, 2].map(() => runScheduled({ at: hoursAfter(nextDay, 8.02) })));
    await runScheduled({ at: hoursAfter(nextDay, 20) }); // later that day: already sent

    const figures = {
      day: hoursAfter(day, 12).toISOString().slice(0, 10), // the local date (midday is the same date in UTC)
      opened: 4,
      resolved: 2,
      breaches: { total: 2, firstResponse: 1, nextResponse: 0, resolution: 1 },
      firstResponseMedianSeconds: 600,
    };
    const events = await eventsAt(org.hooks.events);
    expect(events.map((e) => e.type)).toEqual(["sla.daily_summary"]);
    expect(events[0]?.data).toEqual(figures);
    const texts = await slackTexts(org.hooks.slack);
    expect(texts).toHaveLength(1);
    expect(texts[0]).toContain("4 abertos, 2 resolvidos, 2 SLAs estourados (1 primeira resposta, 1 resolução)");
    expect(texts[0]).toContain("mediana da primeira resposta 10 min");
    for (const user of [org.tenant.userId, org.supervisor.userId]) {
      const rows = await notificationsOf(user);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        type: "sla.daily_summary",
        title: `Daily summary for ${figures.day}`,
        data: figures,
      });
    }
    expect(await notificationsOf(org.agent.userId)).toEqual([]);

    // The next day, the next summary (an empty day: zeros, no median).
    await runScheduled({ at: hoursAfter(nextDay, 24 + 8.1) });
    const second = await eventsAt(org.hooks.events);
    expect(second).toHaveLength(2);
    expect(second[1]?.data).toMatchObject({
      opened: 1,
      resolved: 1,
      breaches: { total: 1 },
      firstResponseMedianSeconds: null,
    });
  });

  it("sends each organization its own summary: another organization's later day does not hold it back", async () => {
    // Two organizations in one zone, summaries due at 08:00 and at 20:00. The first's summary of a
    // day is sent at 08:00; the second's of the same day must still go out at 20:00 (the latest
    // summary day was once read across every organization, which held the second one back).
    const orgs = [];
    for (const time of ["08:00", "20:00"]) {
      const org = await slaOrg({});
      const set = await call("/api/sla/settings", {
        method: "PUT",
        token: org.tenant.token,
        json: { businessHours: null, dailySummary: { time, timezone } },
      });
      expect(set.status, set.text).toBe(200);
      orgs.push(org);
    }
    const [early, late] = orgs as [SlaOrg, SlaOrg];
    const day = localMidnight(7);
    const nextDay = hoursAfter(day, 24);
    const summarized = hoursAfter(day, 12).toISOString().slice(0, 10);
    const days = async (org: SlaOrg) => (await eventsAt(org.hooks.events)).map((e) => e.data.day);
    await runScheduled({ at: hoursAfter(nextDay, 8.02) });
    expect(await days(early)).toEqual([summarized]);
    expect(await days(late)).toEqual([]);
    await runScheduled({ at: hoursAfter(nextDay, 20.02) });
    expect(await days(late)).toEqual([summarized]);
    expect(await days(early)).toEqual([summarized]);
  });

  it("validates the settings and lets only admins change them", async () => {
    const org = await slaOrg({}, { connect: false });
    const put = (json: unknown, token = org.tenant.token) => call("/api/sla/settings", { method: "PUT", token, json });
    const bad = [
      {
        businessHours: { timezone: "Mars/Base", ranges: [{ day: 1, start: "09:00", end: "18:00" }] },
        dailySummary: null,
      },
      { businessHours: { timezone: "UTC", ranges: [] }, dailySummary: null },
      { businessHours: { timezone: "UTC", ranges: [{ day: 7, start: "09:00", end: "18:00" }] }, dailySummary: null },
      { businessHours: null, dailySummary: { time: "8am", timezone: "UTC" } },
      { businessHours: null, dailySummary: { time: "08:00", timezone: "Nowhere" } },
    ];
    for (const json of bad) {
      const res = await put(json);
      expect(res.status, res.text).toBe(400);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
    }
    expect((await put({ businessHours: null, dailySummary: null }, org.supervisor.token)).status).toBe(403);
    expect((await call("/api/sla/settings", { token: org.agent.token })).status).toBe(403);
    const ok = await put({
      businessHours: { ranges: [{ day: 1, start: "22:00", end: "06:00" }] },
      dailySummary: { time: "18:30", timezone: "Europe/Lisbon" },
    });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body).toEqual({
      businessHours: {
        timezone: "America/Sao_Paulo",
        ranges: [{ day: 1, start: "22:00", end: "06:00" }],
        holidays: [],
      },
      dailySummary: { time: "18:30", timezone: "Europe/Lisbon" },
    });
  });
});
