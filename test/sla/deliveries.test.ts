// Where alerts go: Slack (the organization's webhook or a queue's own) and the events webhook,
// each delivery a durable job retried on 429/5xx and sent once.
import { describe, expect, inject, it } from "vitest";
import { unique } from "../support/fixtures";
import { call } from "../support/http";
import { fakeRequests, scriptFake } from "../support/provider";
import { makeDue } from "../support/scenario";
import { eventsAt, jobsOf, runScheduled, slaOrg, travel } from "./support";

const MINUTE = 60;

describe("SLA alert deliveries", () => {
  it("retries Slack and the events webhook on 5xx through their jobs, and delivers each once", async () => {
    const org = await slaOrg({ slaFirstResponseMinutes: 10 });
    const { ticketId } = await org.inbound("Oi");
    await travel([ticketId], 11 * MINUTE);
    await scriptFake(org.hooks.slack, [{ status: 503, body: "service_unavailable", headers: { "retry-after": "30" } }]);
    await scriptFake(org.hooks.events, [{ status: 502, headers: { "retry-after": "30" } }]);

    await runScheduled();
    const [slack] = await jobsOf(org.tenant.organizationId, "slack.notify");
    expect(slack).toMatchObject({ status: "failed", attempts: 1, lastError: expect.stringContaining("Slack") });
    const events = (await jobsOf(org.tenant.organizationId, "events.deliver")).filter((j) =>
      String((j.payload as { type: string }).type).startsWith("sla."),
    );
    expect(events).toMatchObject([{ status: "failed", attempts: 1 }]);

    await makeDue(org.tenant.organizationId);
    await runScheduled();
    expect(await jobsOf(org.tenant.organizationId, "slack.notify")).toMatchObject([{ status: "done", attempts: 2 }]);
    expect(await fakeRequests(org.hooks.slack)).toHaveLength(2); // the 503, then the post
    const delivered = await eventsAt(org.hooks.events);
    expect(delivered.map((e) => e.type)).toEqual(["sla.breached", "sla.breached"]); // the 502, then the delivery
    expect(delivered[0]?.id).toBe(delivered[1]?.id); // one event id: a receiver can drop a redelivery

    await makeDue(org.tenant.organizationId);
    await runScheduled();
    expect(await fakeRequests(org.hooks.slack)).toHaveLength(2);
    expect(await eventsAt(org.hooks.events)).toHaveLength(2);
  });

  it("sends a queue's alerts to its own Slack webhook, sealed, and back to the organization's once removed", async () => {
    const org = await slaOrg({ slaFirstResponseMinutes: 10 });
    const own = `/slack/${unique("queue")}/services/T2/B2/y`;
    const webhookUrl = `${inject("fakesUrl")}${own}`;
    const path = `/api/queues/${org.queueId}/slack`;
    const put = await call(path, { method: "PUT", token: org.tenant.token, json: { webhookUrl } });
    expect(put.status, put.text).toBe(204);
    const queue = await call(`/api/queues/${org.queueId}`, { token: org.tenant.token });
    expect(queue.body.slackOverride).toBe(true);
    expect(queue.text).not.toContain(own);
    expect((await call(path, { method: "PUT", token: org.supervisor.token, json: { webhookUrl } })).status).toBe(403);
    const bad = await call(path, { method: "PUT", token: org.tenant.token, json: { webhookUrl: "no" } });
    expect(bad.status, bad.text).toBe(400);

    const first = await org.inbound("Oi");
    await travel([first.ticketId], 11 * MINUTE);
    await runScheduled();
    expect(await fakeRequests(own)).toHaveLength(1);
    expect(await fakeRequests(org.hooks.slack)).toHaveLength(0);

    expect((await call(path, { method: "DELETE", token: org.tenant.token })).status).toBe(204);
    expect((await call(`/api/queues/${org.queueId}`, { token: org.tenant.token })).body.slackOverride).toBe(false);
    const second = await org.inbound("Olá");
    await travel([second.ticketId], 11 * MINUTE);
    await runScheduled();
    expect(await fakeRequests(own)).toHaveLength(1);
    expect(await fakeRequests(org.hooks.slack)).toHaveLength(1);
  });

  it("keeps another organization's queue out of reach (404)", async () => {
    const a = await slaOrg({ slaFirstResponseMinutes: 10 }, { connect: false });
    const b = await slaOrg({ slaFirstResponseMinutes: 10 }, { connect: false });
    const res = await call(`/api/queues/${a.queueId}/slack`, {
      method: "PUT",
      token: b.tenant.token,
      json: { webhookUrl: "https://hooks.slack.com/services/T/B/Z" },
    });
    expect(res.status, res.text).toBe(404);
    expect((await call(`/api/queues/${a.queueId}/slack`, { method: "DELETE", token: b.tenant.apiKey })).status).toBe(
      404,
    );
    expect((await call(`/api/queues/${a.queueId}`, { token: a.tenant.token })).body.slackOverride).toBe(false);
  });

  it("sends no job where nothing is connected, and still tells the people in the app", async () => {
    const org = await slaOrg({ slaFirstResponseMinutes: 10 }, { connect: false });
    const { ticketId } = await org.inbound("Oi");
    await travel([ticketId], 11 * MINUTE);
    await runScheduled();
    expect(await jobsOf(org.tenant.organizationId, "slack.notify")).toEqual([]);
    expect(
      (await jobsOf(org.tenant.organizationId, "events.deliver")).filter((j) =>
        String((j.payload as { type: string }).type).startsWith("sla."),
      ),
    ).toEqual([]);
    const list = await call("/api/notifications", { token: org.supervisor.token });
    expect(list.body.data.map((n: { type: string }) => n.type)).toEqual(["sla.breached"]);
  });
});
