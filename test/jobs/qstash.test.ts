// Jobs through QStash: the real @upstash/qstash Client publishes to a loopback fake that records
// messages and signs deliveries with real HS256 JWTs; the real Receiver verifies them.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { outbox } from "@/db/schema";
import { withDb } from "../support/db";
import { qstashEnv } from "../support/env";
import { call, runScheduled } from "../support/http";
import { fakeRequests, type QStashMessage, qstashMessages, scriptFake } from "../support/provider";
import { conversation, jobsOf, makeDue, messageRow } from "../support/scenario";

const env = qstashEnv();
const JOBS_URL = "http://localhost:8787/jobs/";

async function publishedFor(jobId: string, key: "current" | "next" = "current"): Promise<QStashMessage[]> {
  return (await qstashMessages(JOBS_URL, key)).filter((m) => JSON.parse(m.body).jobId === jobId);
}

const deliver = (message: QStashMessage, signature = message.signature, path = new URL(message.url).pathname) =>
  call(path, {
    env,
    method: "POST",
    body: message.body,
    headers: { "content-type": "application/json", "upstash-signature": signature },
  });

describe("QStash job delivery", () => {
  it("publishes after commit with the job id as deduplication id, and runs a signed delivery", async () => {
    const { tenant, ticket, graphPrefix } = await conversation({ env });
    const sent = await call(`/api/tickets/${ticket.id}/messages`, {
      env,
      token: tenant.token,
      json: { type: "text", text: "via QStash" },
    });
    expect(sent.status, sent.text).toBe(202);
    const job = (await jobsOf(tenant.organizationId)).find((j) => j.name === "message.send");
    expect(job?.status).toBe("published");
    const [message] = await publishedFor(job?.id as string);
    expect(message?.url).toBe(`${JOBS_URL}message.send`);
    expect(message?.deduplicationId).toBe(job?.id);
    expect(message?.headers["upstash-retries"]).toBe("5");
    expect(await fakeRequests(graphPrefix)).toHaveLength(0);

    const delivered = await deliver(message as QStashMessage);
    expect(delivered.status, delivered.text).toBe(200);
    expect((await messageRow(sent.body.id))?.status).toBe("sent");
    expect(await fakeRequests(graphPrefix)).toHaveLength(1);

    // QStash delivers at least once: a redelivery is acknowledged and sends nothing.
    const again = await deliver(message as QStashMessage);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ duplicate: true, status: "done" });
    expect(await fakeRequests(graphPrefix)).toHaveLength(1);
  });

  it("accepts the next signing key and rejects bad signatures, other URLs and tampered bodies", async () => {
    const { tenant, ticket } = await conversation({ env });
    const sent = await call(`/api/tickets/${ticket.id}/messages`, {
      env,
      token: tenant.token,
      json: { type: "text", text: "oi" },
    });
    expect(sent.status, sent.text).toBe(202);
    const job = (await jobsOf(tenant.organizationId)).find((j) => j.name === "message.send");
    const [current] = await publishedFor(job?.id as string);
    const [next] = await publishedFor(job?.id as string, "next");
    if (!current || !next) throw new Error("job was not published");
    const parts = current.signature.split(".");
    expect((await deliver(current, `${parts[0]}.${parts[1]}.${"A".repeat(43)}`)).status).toBe(401);
    expect((await deliver(current, "")).status).toBe(401);
    expect((await deliver(current, current.signature, "/jobs/ticket.assign")).status).toBe(401);
    const tampered = {
      ...current,
      body: current.body.replace(job?.id as string, "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"),
    };
    expect((await deliver(tampered, current.signature)).status).toBe(401);
    const ok = await deliver(next);
    expect(ok.status, ok.text).toBe(200);
  });

  it("leaves a job whose publish failed for the cron, which re-publishes it", async () => {
    const { tenant, ticket } = await conversation({ env });
    await scriptFake(`/qstash/v2/publish/${JOBS_URL}message.send`, [{ status: 500, body: { error: "boom" } }]);
    await call(`/api/tickets/${ticket.id}/messages`, { env, token: tenant.token, json: { type: "text", text: "x" } });
    let job = (await jobsOf(tenant.organizationId)).find((j) => j.name === "message.send");
    expect(job?.status).toBe("pending");
    expect(job?.lastError).toContain("publish failed");
    expect(await publishedFor(job?.id as string)).toHaveLength(0);
    await makeDue(tenant.organizationId);
    await runScheduled({ env });
    job = (await jobsOf(tenant.organizationId)).find((j) => j.name === "message.send");
    expect(job?.status).toBe("published");
    expect(await publishedFor(job?.id as string)).toHaveLength(1);
  });

  it("answers 5xx with Retry-After while retries remain and 489 non-retryable when exhausted", async () => {
    const { tenant, ticket, graphPrefix } = await conversation({ env });
    await scriptFake(
      graphPrefix,
      Array.from({ length: 6 }, () => ({ status: 500, body: {}, headers: { "retry-after": "0" } })),
    );
    const sent = await call(`/api/tickets/${ticket.id}/messages`, {
      env,
      token: tenant.token,
      json: { type: "text", text: "x" },
    });
    const job = (await jobsOf(tenant.organizationId)).find((j) => j.name === "message.send");
    const [message] = await publishedFor(job?.id as string);
    const first = await deliver(message as QStashMessage);
    expect(first.status).toBe(503);
    expect(Number(first.headers.get("retry-after"))).toBeGreaterThan(0);
    await withDb((db) =>
      db
        .update(outbox)
        .set({ maxAttempts: 2 })
        .where(eq(outbox.id, job?.id as string)),
    );
    const last = await deliver(message as QStashMessage);
    expect(last.status).toBe(489);
    expect(last.headers.get("upstash-nonretryable-error")).toBe("true");
    expect((await jobsOf(tenant.organizationId)).find((j) => j.name === "message.send")?.status).toBe("dead");
    expect((await messageRow(sent.body.id))?.status).toBe("failed");
  });
});
