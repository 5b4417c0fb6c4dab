// The clocks behind the alerts: the next-response clock and business hours, through the webhook
// that starts them, the API that shows them and the cron that judges them.
import { describe, expect, it } from "vitest";
import { call } from "../support/http";
import { alertsOf, eventsAt, runScheduled, slackTexts, slaOrg, ticketOf, travel } from "./support";

const MINUTE = 60;
const weekdays = (timezone: string) => ({
  timezone,
  ranges: [1, 2, 3, 4, 5].map((day) => ({ day, start: "09:00", end: "18:00" })),
  holidays: [],
});

/** A Friday at least a week ago, at hh:mm UTC: in the past, so the cron can be run at instants around it. */
function pastFriday(hh: number, mm: number): Date {
  const d = new Date(Date.now() - 8 * 86_400_000);
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 2) % 7)); // back to a Friday (getUTCDay() === 5)
  d.setUTCHours(hh, mm, 0, 0);
  return d;
}
const plus = (d: Date, minutes: number) => new Date(d.getTime() + minutes * 60_000);

describe("next-response SLA", () => {
  it("starts at the first customer message after a reply, keeps counting through later ones, restarts after the next reply and stops on resolve", async () => {
    const org = await slaOrg({ slaNextResponseMinutes: 10 });
    const { ticketId, from } = await org.inbound("Oi");
    // Before the first reply the customer waits for a first response, not a next one.
    expect((await ticketOf(org, ticketId)).sla.nextResponseDueAt).toBeNull();
    await org.reply(ticketId);
    expect((await ticketOf(org, ticketId)).sla.nextResponseDueAt).toBeNull();

    const wrote = Math.floor(Date.now() / 1000) * 1000;
    await org.inbound("Mais uma coisa", { from });
    const due = (await ticketOf(org, ticketId)).sla.nextResponseDueAt;
    expect(Date.parse(due) - wrote).toBeGreaterThanOrEqual(10 * 60_000 - 1000);
    expect(Date.parse(due) - wrote).toBeLessThanOrEqual(10 * 60_000 + 1000);
    await runScheduled(); // the sweep starts the clock the API already showed
    expect((await ticketOf(org, ticketId)).sla.nextResponseDueAt).toBe(due);
    await org.inbound("Alô?", { from }); // writing again does not restart it
    expect((await ticketOf(org, ticketId)).sla.nextResponseDueAt).toBe(due);

    await travel([ticketId], 11 * MINUTE);
    await runScheduled();
    expect((await alertsOf(org.tenant.organizationId)).map((a) => a.alert)).toEqual(["next_response:breached:1"]);
    expect((await eventsAt(org.hooks.events)).map((e) => [e.type, e.data.kind, e.data.cycle])).toEqual([
      ["sla.breached", "next_response", 1],
    ]);

    // Answered: the clock stops. The next message starts a new one, answered in time: no alert.
    await org.reply(ticketId);
    expect((await ticketOf(org, ticketId)).sla.nextResponseDueAt).toBeNull();
    await org.inbound("Obrigado! E o prazo?", { from });
    await runScheduled();
    const second = (await ticketOf(org, ticketId)).sla.nextResponseDueAt;
    expect(Date.parse(second)).toBeGreaterThan(Date.now() + 9 * 60_000);
    await travel([ticketId], 5 * MINUTE);
    await org.reply(ticketId);
    await travel([ticketId], 10 * MINUTE);
    await runScheduled();
    expect(await alertsOf(org.tenant.organizationId)).toHaveLength(1);

    // A resolve stops a running clock for good (it does not count on while the ticket is resolved).
    await org.inbound("Última pergunta", { from });
    await runScheduled();
    const resolved = await call(`/api/tickets/${ticketId}/resolve`, { method: "POST", token: org.tenant.token });
    expect(resolved.status, resolved.text).toBe(200);
    await travel([ticketId], 20 * MINUTE);
    await runScheduled();
    expect(await alertsOf(org.tenant.organizationId)).toHaveLength(1);
    expect((await ticketOf(org, ticketId)).sla.nextResponseDueAt).toBeNull();
  });
});

describe("business hours", () => {
  it("counts only open hours: a Friday-evening ticket falls due on Monday morning, in the organization's time zone", async () => {
    const org = await slaOrg({ slaFirstResponseMinutes: 30, slaOnlyDuringBusinessHours: true });
    const settings = await call("/api/sla/settings", {
      method: "PUT",
      token: org.tenant.token,
      json: { businessHours: weekdays("America/Sao_Paulo"), dailySummary: null },
    });
    expect(settings.status, settings.text).toBe(200);

    const friday = pastFriday(20, 50); // 17:50 in São Paulo (UTC-3)
    const monday = plus(friday, 3 * 24 * 60 - 20 * 60 - 50); // Monday 00:00 UTC
    const { ticketId } = await org.inbound("Sexta à noite", { at: friday });
    const ticket = await ticketOf(org, ticketId);
    expect(ticket.firstResponseDueAt).toBe(plus(monday, 12 * 60 + 20).toISOString()); // Monday 09:20 local
    expect(ticket.sla.firstResponseDueAt).toBe(ticket.firstResponseDueAt);

    // Where a wall-clock policy would have breached at 18:20 on Friday, and all weekend: nothing.
    for (const at of [plus(friday, 35), plus(friday, 24 * 60), plus(friday, 2 * 24 * 60 + 12 * 60)]) {
      await runScheduled({ at });
    }
    expect(await alertsOf(org.tenant.organizationId)).toEqual([]);
    await runScheduled({ at: plus(monday, 12 * 60 + 15) }); // Monday 09:15: 80 % of 30 open minutes
    expect((await alertsOf(org.tenant.organizationId)).map((a) => a.alert)).toEqual(["first_response:warning:1"]);
    await runScheduled({ at: plus(monday, 12 * 60 + 21) }); // Monday 09:21
    expect((await alertsOf(org.tenant.organizationId)).map((a) => a.alert)).toEqual([
      "first_response:warning:1",
      "first_response:breached:1",
    ]);
    const [warning, breach] = await slackTexts(org.hooks.slack);
    expect(warning).toContain("Vence em 5 min em horário comercial");
    expect(breach).toContain("1 min de atraso em horário comercial");
  });

  it("takes the queue's own hours over the organization's, in the queue's time zone", async () => {
    const org = await slaOrg({
      slaFirstResponseMinutes: 30,
      slaOnlyDuringBusinessHours: true,
      businessHours: weekdays("Asia/Tokyo"),
    });
    await call("/api/sla/settings", {
      method: "PUT",
      token: org.tenant.token,
      json: { businessHours: weekdays("America/Sao_Paulo"), dailySummary: null },
    });
    const friday = pastFriday(20, 50); // Saturday 05:50 in Tokyo
    const { ticketId } = await org.inbound("Olá", { at: friday });
    const monday = plus(friday, 3 * 24 * 60 - 20 * 60 - 50); // Monday 00:00 UTC
    // Monday 09:30 in Tokyo is Monday 00:30 UTC.
    expect((await ticketOf(org, ticketId)).firstResponseDueAt).toBe(plus(monday, 30).toISOString());

    // Without the business-hours flag the same hours are ignored: wall time.
    const patched = await call(`/api/queues/${org.queueId}`, {
      method: "PATCH",
      token: org.tenant.token,
      json: { slaOnlyDuringBusinessHours: false },
    });
    expect(patched.body).toMatchObject({ slaOnlyDuringBusinessHours: false, businessHours: weekdays("Asia/Tokyo") });
    const other = await org.inbound("Olá de novo", { at: friday });
    expect((await ticketOf(org, other.ticketId)).firstResponseDueAt).toBe(plus(friday, 30).toISOString());
  });
});
