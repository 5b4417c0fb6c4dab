import { Receiver } from "@upstash/qstash";
import { and, eq, or, sql } from "drizzle-orm";
import type { PgUpdateSetSource } from "drizzle-orm/pg-core";
import type { Hono } from "hono";
import { outbox } from "@/db/schema";
import type { AppEnv } from "@/platform/app";
import { problemResponse } from "@/platform/errors";
import type { Logger } from "@/platform/logger";
import type { Services } from "@/platform/services";
import type { JobDefinition } from "./define";
import { backoffSeconds } from "./dispatch";
import { PermanentJobError, RetryableJobError } from "./errors";
import type { OutboxRow } from "./outbox";
import { LOCAL_SIGNATURE_HEADER, verifyLocalDelivery } from "./signature";

const LEASE = sql`now() + interval '5 minutes'`;

/**
 * Answers QStash's protocol: 2xx done; 5xx try again (with Retry-After); 489 with
 * Upstash-NonRetryable-Error means "stop, it will never succeed".
 */
function nonRetryable(message: string, requestId: string) {
  const response = problemResponse("UNPROCESSABLE", message, { requestId });
  return new Response(response.body, {
    status: 489,
    headers: { ...Object.fromEntries(response.headers), "upstash-nonretryable-error": "true" },
  });
}

async function verified(services: Services, headers: Headers, path: string, body: string): Promise<boolean> {
  const { env, log } = services;
  const qstashSignature = headers.get("upstash-signature");
  if (qstashSignature && env.QSTASH_CURRENT_SIGNING_KEY && env.QSTASH_NEXT_SIGNING_KEY) {
    try {
      const receiver = new Receiver({
        currentSigningKey: env.QSTASH_CURRENT_SIGNING_KEY,
        nextSigningKey: env.QSTASH_NEXT_SIGNING_KEY,
      });
      // verify() throws on a bad signature rather than returning false.
      return await receiver.verify({ signature: qstashSignature, body, url: `${env.PUBLIC_URL}${path}` });
    } catch (error) {
      log.warn("job delivery with an invalid QStash signature", { path, error });
      return false;
    }
  }
  const local = headers.get(LOCAL_SIGNATURE_HEADER);
  if (local && env.LOCAL_JOBS_SIGNING_KEY) return verifyLocalDelivery(env.LOCAL_JOBS_SIGNING_KEY, local, path, body);
  return false;
}

/** A verified delivery of a known job. */
type Delivery = { name: string; jobId: string; job: JobDefinition };

/** The job row this delivery claimed, and a logger that names it. */
type Claim = { row: OutboxRow; log: Logger };

type Outcome =
  | { kind: "invalid"; issues: number }
  | { kind: "done"; result: Record<string, unknown> | undefined; durationMs: number }
  | { kind: "failed"; error: unknown; payload: unknown };

/** Verify: the signature over the raw body, then the job's name and the envelope. */
async function verify(
  services: Services,
  jobs: ReadonlyMap<string, JobDefinition>,
  name: string,
  headers: Headers,
  raw: string,
): Promise<Delivery | Response> {
  const { requestId } = services;
  if (!(await verified(services, headers, `/jobs/${name}`, raw))) {
    return problemResponse("UNAUTHORIZED", "The delivery signature is missing or invalid.", { requestId });
  }
  const job = jobs.get(name);
  if (!job) return nonRetryable(`No job named ${name}.`, requestId);
  let envelope: { jobId?: unknown; payload?: unknown };
  try {
    envelope = JSON.parse(raw);
  } catch {
    return nonRetryable("The delivery body is not JSON.", requestId);
  }
  if (typeof envelope.jobId !== "string") return nonRetryable("The delivery has no jobId.", requestId);
  return { name, jobId: envelope.jobId, job };
}

/** Claim: take the job's lease; a concurrent redelivery finds it running and backs off. */
async function claim(services: Services, { name, jobId }: Delivery): Promise<Claim | Response> {
  const { db, log, requestId } = services;
  const [claimed] = await db
    .update(outbox)
    .set({ status: "running", attempts: sql`${outbox.attempts} + 1`, lockedUntil: LEASE })
    .where(
      and(
        eq(outbox.id, jobId),
        eq(outbox.name, name),
        or(
          sql`${outbox.status} in ('pending', 'published', 'failed')`,
          and(eq(outbox.status, "running"), sql`${outbox.lockedUntil} < now()`),
        ),
      ),
    )
    .returning();
  if (claimed) return { row: claimed, log: log.child({ job: name, jobId, attempt: claimed.attempts }) };
  const [row] = await db
    .select()
    .from(outbox)
    .where(and(eq(outbox.id, jobId), eq(outbox.name, name)));
  if (!row) return nonRetryable(`No job ${jobId}.`, requestId);
  if (row.status === "running") {
    // Another delivery holds the lease; if it dies, this retry takes over after the lease.
    return Response.json(
      { jobId, status: "running", duplicate: true },
      { status: 503, headers: { "retry-after": "60" } },
    );
  }
  return Response.json({ jobId, status: row.status, duplicate: true }, { status: 200 });
}

/** Run: the handler, on the payload as the job's schema reads it. */
async function run(services: Services, { job, jobId }: Delivery, { row }: Claim): Promise<Outcome> {
  const parsed = job.payload.safeParse(row.payload);
  if (!parsed.success) return { kind: "invalid", issues: parsed.error.issues.length };
  const started = performance.now();
  try {
    const result = await job.handle(services, parsed.data, {
      jobId,
      attempt: row.attempts,
      maxAttempts: row.maxAttempts,
    });
    return { kind: "done", result, durationMs: Math.round(performance.now() - started) };
  } catch (error) {
    return { kind: "failed", error, payload: parsed.data };
  }
}

/** Settle: record the outcome on the row and answer QStash (done, retry later, or never retry). */
async function settle(services: Services, { job, jobId }: Delivery, { row, log }: Claim, outcome: Outcome) {
  const { db, requestId } = services;
  const finish = (values: PgUpdateSetSource<typeof outbox>) =>
    db
      .update(outbox)
      .set({ lockedUntil: null, ...values })
      .where(eq(outbox.id, jobId));
  if (outcome.kind === "invalid") {
    await finish({ status: "dead", lastError: "invalid payload" });
    log.error("job payload invalid: dead letter", { issues: outcome.issues });
    return nonRetryable("The job payload is invalid.", requestId);
  }
  if (outcome.kind === "done") {
    await finish({ status: "done", completedAt: new Date(), lastError: null });
    log.info("job done", { durationMs: outcome.durationMs, ...outcome.result });
    return Response.json({ jobId, status: "done" }, { status: 200 });
  }
  const { error } = outcome;
  const message = error instanceof Error ? error.message : String(error);
  const permanent = error instanceof PermanentJobError;
  if (permanent || row.attempts >= row.maxAttempts) {
    await finish({ status: "dead", lastError: message });
    log.error("job failed: dead letter", { error, permanent });
    await job.onDead?.(services, outcome.payload, message);
    return nonRetryable(message, requestId);
  }
  const retryAfter = backoffSeconds(row.attempts, error instanceof RetryableJobError ? error.retryAfter : undefined);
  await finish({
    status: "failed",
    lastError: message,
    nextAttemptAt: sql`now() + make_interval(secs => ${retryAfter})`,
  });
  log.warn("job failed: will retry", { error, retryAfter });
  return problemResponse("UNAVAILABLE", `Job failed, retry in ${retryAfter} s: ${message}`, { requestId, retryAfter });
}

export function registerJobEndpoint(app: Hono<AppEnv>, jobs: ReadonlyMap<string, JobDefinition>) {
  app.post("/jobs/:name", async (c) => {
    const services = c.var.services;
    const delivery = await verify(services, jobs, c.req.param("name"), c.req.raw.headers, await c.req.text());
    if (delivery instanceof Response) return delivery;
    const claimed = await claim(services, delivery);
    if (claimed instanceof Response) return claimed;
    return settle(services, delivery, claimed, await run(services, delivery, claimed));
  });
}
