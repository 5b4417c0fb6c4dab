// Jobs without QStash: local delivery, retries with backoff driven by the cron, dead letters.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { sealCredentials } from "@/channels/secrets";
import { channels } from "@/db/schema";
import { parseEnv } from "@/platform/env";
import { withDb } from "../support/db";
import { testEnv } from "../support/env";
import { call, runScheduled } from "../support/http";
import { fakeRequests, scriptFake } from "../support/provider";
import { conversation, jobsOf, makeDue, messageRow } from "../support/scenario";

const fail = (status: number) => ({
  status,
  body: { error: { message: "Service temporarily unavailable", code: 2 } },
  headers: { "retry-after": "0" },
});

describe("local job delivery", () => {
  it("sends a reply exactly once through the send job", async () => {
    const { tenant, ticket, graphPrefix } = await conversation();
    const res = await call(`/api/tickets/${ticket.id}/messages`, {
      token: tenant.token,
      json: { type: "text", text: "Olá, Maria!" },
    });
    expect(res.status, res.text).toBe(202);
    expect(res.body).toMatchObject({ status: "queued", direction: "outbound", text: "Olá, Maria!" });
    const requests = await fakeRequests(graphPrefix);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.headers.authorization).toBe("Bearer EAAG-test");
    expect(JSON.parse(requests[0]?.body ?? "{}")).toEqual({
      messaging_product: "whatsapp",
      recipient_type: "individual",
      to: "5511987654321",
      type: "text",
      text: { body: "Olá, Maria!", preview_url: false },
    });
    const job = (await jobsOf(tenant.organizationId)).find((j) => j.name === "message.send");
    expect(job).toMatchObject({ status: "done", attempts: 1 });
    // A redelivery of the same job finds the message sent and sends nothing.
    await makeDue(tenant.organizationId);
    await runScheduled();
    expect(await fakeRequests(graphPrefix)).toHaveLength(1);
  });

  it("retries a failed send with backoff from the cron, then succeeds", async () => {
    const { tenant, ticket, graphPrefix } = await conversation();
    await scriptFake(graphPrefix, [fail(503), fail(503), fail(503)]);
    const res = await call(`/api/tickets/${ticket.id}/messages`, {
      token: tenant.token,
      json: { type: "text", text: "tentando" },
    });
    expect(res.status).toBe(202);
    let job = (await jobsOf(tenant.organizationId)).find((j) => j.name === "message.send");
    expect(job).toMatchObject({ status: "failed", attempts: 1 });
    expect(job?.nextAttemptAt.getTime()).toBeGreaterThan(Date.now() + 5_000);
    expect((await messageRow(res.body.id))?.status).toBe("queued");

    await runScheduled(); // not due yet: nothing happens
    expect(await fakeRequests(graphPrefix)).toHaveLength(3);
    await makeDue(tenant.organizationId);
    await runScheduled();
    job = (await jobsOf(tenant.organizationId)).find((j) => j.name === "message.send");
    expect(job).toMatchObject({ status: "done", attempts: 2 });
    expect(await fakeRequests(graphPrefix)).toHaveLength(4);
    expect((await messageRow(res.body.id))?.status).toBe("sent");
  });

  it("honours the provider's Retry-After when it is long", async () => {
    const { tenant, ticket, graphPrefix } = await conversation();
    await scriptFake(graphPrefix, [
      { status: 429, body: { error: { message: "rate", code: 130429 } }, headers: { "retry-after": "120" } },
    ]);
    await call(`/api/tickets/${ticket.id}/messages`, { token: tenant.token, json: { type: "text", text: "x" } });
    const job = (await jobsOf(tenant.organizationId)).find((j) => j.name === "message.send");
    expect(job?.status).toBe("failed");
    expect(job?.nextAttemptAt.getTime()).toBeGreaterThanOrEqual(Date.now() + 110_000);
  });

  it("marks a message the provider rejects as failed without retrying", async () => {
    const { tenant, ticket, graphPrefix } = await conversation();
    await scriptFake(graphPrefix, [
      { status: 400, body: { error: { message: "Recipient phone number not in allowed list", code: 131030 } } },
    ]);
    const res = await call(`/api/tickets/${ticket.id}/messages`, {
      token: tenant.token,
      json: { type: "text", text: "x" },
    });
    expect(await messageRow(res.body.id)).toMatchObject({
      status: "failed",
      error: { code: "131030", message: "Recipient phone number not in allowed list" },
    });
    expect((await jobsOf(tenant.organizationId)).find((j) => j.name === "message.send")?.status).toBe("done");
    expect(await fakeRequests(graphPrefix)).toHaveLength(1);
  });

  it("turns an exhausted job into a dead letter that an admin can list and retry", async () => {
    const { tenant, ticket, graphPrefix } = await conversation();
    await scriptFake(
      graphPrefix,
      Array.from({ length: 18 }, () => fail(500)),
    );
    const res = await call(`/api/tickets/${ticket.id}/messages`, {
      token: tenant.token,
      json: { type: "text", text: "nunca" },
    });
    for (let i = 0; i < 5; i++) {
      await makeDue(tenant.organizationId);
      await runScheduled();
    }
    const dead = await call("/api/jobs?status=dead", { token: tenant.token });
    expect(dead.status, dead.text).toBe(200);
    expect(dead.body.data).toHaveLength(1);
    expect(dead.body.data[0]).toMatchObject({ name: "message.send", status: "dead", attempts: 6, maxAttempts: 6 });
    expect(dead.body.data[0].lastError).toContain("Service temporarily unavailable");
    expect(await messageRow(res.body.id)).toMatchObject({ status: "failed", error: { code: "gave_up" } });

    const retried = await call(`/api/jobs/${dead.body.data[0].id}/retry`, { method: "POST", token: tenant.token });
    expect(retried.status, retried.text).toBe(200);
    expect(await messageRow(res.body.id)).toMatchObject({ status: "sent", error: null });
    expect((await call("/api/jobs?status=dead", { token: tenant.token })).body.data).toHaveLength(0);
    const again = await call(`/api/jobs/${dead.body.data[0].id}/retry`, { method: "POST", token: tenant.token });
    expect(again.status).toBe(409);
  });

  it("fails a send the provider took without an id, never sending it twice", async () => {
    const { tenant, ticket, graphPrefix } = await conversation();
    await scriptFake(graphPrefix, [{ status: 200, body: { messaging_product: "whatsapp", messages: [] } }]);
    const res = await call(`/api/tickets/${ticket.id}/messages`, {
      token: tenant.token,
      json: { type: "text", text: "só uma vez" },
    });
    expect(await messageRow(res.body.id)).toMatchObject({ status: "failed", error: { code: "accepted_without_id" } });
    await makeDue(tenant.organizationId);
    await runScheduled();
    expect((await jobsOf(tenant.organizationId)).find((j) => j.name === "message.send")?.status).toBe("done");
    expect(await fakeRequests(graphPrefix)).toHaveLength(1);
  });

  it.each([
    ["do not decrypt", async () => "v1.not-a-ciphertext", "credentials_unreadable"],
    [
      "no longer pass the adapter's schema",
      (channelId: string) => sealCredentials(parseEnv(testEnv()), channelId, { phoneNumberId: "only-this" }),
      "credentials_invalid",
    ],
  ] as const)(
    "fails a send whose channel credentials %s at once, as a dead letter retried once the channel is fixed",
    async (_, broken, code) => {
      const { tenant, ticket, channel, graphPrefix } = await conversation();
      await scriptFake(graphPrefix, [fail(503), fail(503), fail(503)]);
      const res = await call(`/api/tickets/${ticket.id}/messages`, {
        token: tenant.token,
        json: { type: "text", text: "depois do conserto" },
      });
      expect((await jobsOf(tenant.organizationId)).find((j) => j.name === "message.send")).toMatchObject({
        status: "failed",
        attempts: 1,
      });
      const credentialsOf = eq(channels.id, channel.id);
      const [stored] = await withDb((db) =>
        db.select({ credentials: channels.credentials }).from(channels).where(credentialsOf),
      );
      const corrupted = await broken(channel.id);
      await withDb((db) => db.update(channels).set({ credentials: corrupted }).where(credentialsOf));

      await makeDue(tenant.organizationId);
      await runScheduled();
      const job = (await jobsOf(tenant.organizationId)).find((j) => j.name === "message.send");
      expect(job, "no retry can help: a dead letter after this attempt").toMatchObject({ status: "dead", attempts: 2 });
      expect(await messageRow(res.body.id)).toMatchObject({ status: "failed", error: { code } });
      expect(await fakeRequests(graphPrefix)).toHaveLength(3);

      await withDb((db) => db.update(channels).set({ credentials: stored?.credentials }).where(credentialsOf));
      const retried = await call(`/api/jobs/${job?.id}/retry`, { method: "POST", token: tenant.token });
      expect(retried.status, retried.text).toBe(200);
      expect(await messageRow(res.body.id)).toMatchObject({ status: "sent", error: null });
      expect(await fakeRequests(graphPrefix)).toHaveLength(4);
    },
  );

  it("takes a reply on a channel whose credentials no longer decrypt, and fails it in the job, not with a 500", async () => {
    const { tenant, ticket, channel, graphPrefix } = await conversation();
    await withDb((db) =>
      db.update(channels).set({ credentials: "v1.not-a-ciphertext" }).where(eq(channels.id, channel.id)),
    );
    const res = await call(`/api/tickets/${ticket.id}/messages`, {
      token: tenant.token,
      json: { type: "text", text: "oi" },
    });
    expect(res.status, res.text).toBe(202);
    expect(await messageRow(res.body.id)).toMatchObject({
      status: "failed",
      error: { code: "credentials_unreadable" },
    });
    expect(await fakeRequests(graphPrefix)).toHaveLength(0);
  });

  it("rejects deliveries without a valid local signature", async () => {
    const { tenant } = await conversation();
    const [job] = await jobsOf(tenant.organizationId);
    const body = JSON.stringify({ jobId: job?.id, payload: job?.payload });
    const unsigned = await call(`/jobs/${job?.name}`, {
      method: "POST",
      body,
      headers: { "content-type": "application/json" },
    });
    expect(unsigned.status).toBe(401);
    const forged = await call(`/jobs/${job?.name}`, {
      method: "POST",
      body,
      headers: {
        "content-type": "application/json",
        "x-switchboard-signature": `t=${Math.floor(Date.now() / 1000)},v1=${"ab".repeat(32)}`,
      },
    });
    expect(forged.status).toBe(401);
  });
});
