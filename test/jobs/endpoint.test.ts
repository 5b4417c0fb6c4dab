// The job endpoint's answers to deliveries it cannot run: QStash must stop (489 with
// Upstash-NonRetryable-Error) or come back later (503 with Retry-After), never loop.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { outbox } from "@/db/schema";
import { signLocalDelivery } from "@/jobs/signature";
import { withDb } from "../support/db";
import { TEST_SECRETS } from "../support/env";
import { call } from "../support/http";

/** A job row that no cron tick takes meanwhile (it is due in an hour). */
const insertJob = (values: Partial<typeof outbox.$inferInsert> & { name: string }) =>
  withDb(async (db) => {
    const [row] = await db
      .insert(outbox)
      .values({ payload: {}, organizationId: null, nextAttemptAt: new Date(Date.now() + 3600_000), ...values })
      .returning();
    if (!row) throw new Error("outbox insert returned nothing");
    return row;
  });

const jobRow = (id: string) => withDb(async (db) => (await db.select().from(outbox).where(eq(outbox.id, id)))[0]);

async function deliver(name: string, body: string) {
  const path = `/jobs/${name}`;
  const signature = await signLocalDelivery(TEST_SECRETS.LOCAL_JOBS_SIGNING_KEY, path, body);
  return call(path, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", "x-switchboard-signature": signature },
  });
}

function expectNonRetryable(response: { status: number; headers: Headers; text: string }, detail: string) {
  expect(response.status, response.text).toBe(489);
  expect(response.headers.get("upstash-nonretryable-error")).toBe("true");
  expect(JSON.parse(response.text)).toMatchObject({ code: "UNPROCESSABLE", detail });
}

describe("POST /jobs/<name> refusals", () => {
  it("tells QStash to stop for an unknown job name, a body that is not JSON, no jobId, or an unknown job", async () => {
    expectNonRetryable(await deliver("no.such.job", JSON.stringify({ jobId: "x" })), "No job named no.such.job.");
    expectNonRetryable(await deliver("assignment.drain", "{not json"), "The delivery body is not JSON.");
    expectNonRetryable(
      await deliver("assignment.drain", JSON.stringify({ payload: {} })),
      "The delivery has no jobId.",
    );
    const unknown = "0190f0f0-0000-7000-8000-000000000000";
    expectNonRetryable(await deliver("assignment.drain", JSON.stringify({ jobId: unknown })), `No job ${unknown}.`);
  });

  it("makes a job with an invalid payload a dead letter on its first delivery", async () => {
    const job = await insertJob({ name: "assignment.drain", payload: { organizationId: "not-a-uuid" } });
    expectNonRetryable(await deliver(job.name, JSON.stringify({ jobId: job.id })), "The job payload is invalid.");
    expect(await jobRow(job.id)).toMatchObject({
      status: "dead",
      attempts: 1,
      lastError: "invalid payload",
      lockedUntil: null,
    });
  });

  it("asks for a retry in a minute while another delivery holds the job's lease", async () => {
    const lockedUntil = new Date(Date.now() + 5 * 60_000);
    const job = await insertJob({ name: "assignment.drain", status: "running", attempts: 1, lockedUntil });
    const response = await deliver(job.name, JSON.stringify({ jobId: job.id }));
    expect(response.status, response.text).toBe(503);
    expect(response.headers.get("retry-after")).toBe("60");
    expect(response.body).toEqual({ jobId: job.id, status: "running", duplicate: true });
    expect(await jobRow(job.id)).toMatchObject({ status: "running", attempts: 1, lockedUntil });
  });
});
