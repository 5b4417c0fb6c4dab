import { describe, expect, it } from "vitest";
import { createTenant, unique } from "../support/fixtures";
import { call, runScheduled } from "../support/http";
import { metaMessagePayload, postMeta } from "../support/meta";
import { createChannel, eventsWebhookOnFake, fakeRequests, hmacHex, scriptFake } from "../support/provider";
import { jobsOf, makeDue } from "../support/scenario";
import { seedMember } from "../support/seed";

async function setup() {
  const tenant = await createTenant();
  const { path, secret } = await eventsWebhookOnFake(tenant.token, "hook");
  const phoneNumberId = unique("pn");
  const config = { phoneNumberId, appSecret: unique("s"), verifyToken: "v" };
  const channel = await createChannel(tenant.token, { type: "whatsapp_meta", config });
  const inbound = (text: string) =>
    postMeta(channel.id, config.appSecret, metaMessagePayload(phoneNumberId, { type: "text", text: { body: text } }));
  return { tenant, path, secret, inbound };
}

describe("events webhook", () => {
  it("posts signed ticket.created and message.received events, never showing the secret again", async () => {
    const { tenant, path, secret, inbound } = await setup();
    expect((await inbound("Olá")).status).toBe(200);
    const requests = await fakeRequests(path);
    const events = requests.map((r) => JSON.parse(r.body));
    expect(events.map((e) => e.type).sort()).toEqual(["message.received", "ticket.created"]);
    expect(events.find((e) => e.type === "message.received")?.data).toMatchObject({ text: "Olá", type: "text" });
    for (const request of requests) {
      const [t, v1] = (request.headers["x-switchboard-signature"] ?? "").split(",").map((p) => p.split("=")[1]);
      expect(v1).toBe(await hmacHex(secret, `${t}.${path}.${request.body}`));
    }
    const org = await call("/api/organization", { token: tenant.token });
    expect(org.body.eventsWebhook).toEqual({ url: expect.stringContaining(path) });
    expect(org.text).not.toContain(secret);

    await inbound("segunda");
    expect((await fakeRequests(path)).map((r) => JSON.parse(r.body).type)).toEqual(
      expect.arrayContaining(["message.received"]),
    );
    expect(await fakeRequests(path)).toHaveLength(3);
  });

  it("posts ticket.assigned once when a new ticket is auto-assigned, and nothing without a webhook", async () => {
    const { tenant, path, inbound } = await setup();
    const agent = await seedMember(tenant.organizationId, "agent", { online: true });
    expect((await inbound("Preciso de ajuda")).status).toBe(200);
    const assigned = (await fakeRequests(path))
      .map((r) => JSON.parse(r.body))
      .filter((e) => e.type === "ticket.assigned");
    expect(assigned).toHaveLength(1);
    expect(assigned[0]?.data).toMatchObject({ assigneeId: agent.userId, ticketId: expect.any(String) });

    const quiet = await createTenant();
    await seedMember(quiet.organizationId, "agent", { online: true });
    const phoneNumberId = unique("pn");
    const config = { phoneNumberId, appSecret: unique("s"), verifyToken: "v" };
    const channel = await createChannel(quiet.token, { type: "whatsapp_meta", config });
    const res = await postMeta(
      channel.id,
      config.appSecret,
      metaMessagePayload(phoneNumberId, { type: "text", text: { body: "oi" } }),
    );
    expect(res.status, res.text).toBe(200);
    const jobs = await jobsOf(quiet.organizationId);
    expect(jobs.find((j) => j.name === "ticket.assign")?.status).toBe("done");
    expect(jobs.filter((j) => j.name === "events.deliver")).toEqual([]);
  });

  it("retries a failing receiver, and stops after the webhook is removed", async () => {
    const { tenant, path, inbound } = await setup();
    await scriptFake(path, [
      { status: 500, headers: { "retry-after": "0" } },
      { status: 500, headers: { "retry-after": "0" } },
      { status: 500, headers: { "retry-after": "0" } },
    ]);
    await inbound("x");
    const failed = (await jobsOf(tenant.organizationId)).filter(
      (j) => j.name === "events.deliver" && j.status === "failed",
    );
    expect(failed).toHaveLength(1);
    await makeDue(tenant.organizationId);
    await runScheduled();
    expect(
      (await jobsOf(tenant.organizationId))
        .filter((j) => j.name === "events.deliver")
        .every((j) => j.status === "done"),
    ).toBe(true);

    expect((await call("/api/organization/events-webhook", { method: "DELETE", token: tenant.token })).status).toBe(
      204,
    );
    const before = (await fakeRequests(path)).length;
    await inbound("depois");
    expect(await fakeRequests(path)).toHaveLength(before);
  });
});
