import { Receiver } from "@upstash/qstash";
import { and, eq, or, sql } from "drizzle-orm";
import type { Hono } from "hono";
import { outbox } from "@/db/schema";
import type { AppEnv } from "@/platform/app";
import { problemResponse } from "@/platform/errors";
import type { Services } from "@/platform/services";
import type { JobDefinition } from "./define";
import { backoffSeconds } from "./dispatch";
import { PermanentJobError, RetryableJobError } from "./errors";
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

export function registerJobEndpoint(app: Hono<AppEnv>, jobs: ReadonlyMap<string, JobDefinition>) {
  app.post("/jobs/:name", async (c) => {
    const services = c.var.services;
    const { db, log, requestId } = services;
    const name = c.req.param("name");
    const path = `/jobs/${name}`;
    const raw = await c.req.text();
    if (!(await verified(services, c.req.raw.headers, path, raw))) {
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
    const jobId = envelope.jobId;

    // Claim the job: a concurrent redelivery finds it running and backs off.
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
    if (!claimed) {
      const [row] = await db
        .select()
        .from(outbox)
        .where(and(eq(outbox.id, jobId), eq(outbox.name, name)));
      if (!row) return nonRetryable(`No job ${jobId}.`, requestId);
      if (row.status === "running") {
        // Another delivery holds the lease; if it dies, this retry takes over after the lease.
        return c.json({ jobId, status: "running", duplicate: true }, 503, { "retry-after": "60" });
      }
      return c.json({ jobId, status: row.status, duplicate: true }, 200);
    }

    const logger = log.child({ job: name, jobId, attempt: claimed.attempts });
    const parsed = job.payload.safeParse(claimed.payload);
    if (!parsed.success) {
      await db
        .update(outbox)
        .set({ status: "dead", lockedUntil: null, lastError: "invalid payload" })
        .where(eq(outbox.id, jobId));
      logger.error("job payload invalid: dead letter", { issues: parsed.error.issues.length });
      return nonRetryable("The job payload is invalid.", requestId);
    }
    const started = performance.now();
    try {
      const result = await job.handle(services, parsed.data, {
        jobId,
        attempt: claimed.attempts,
        maxAttempts: claimed.maxAttempts,
      });
      await db
        .update(outbox)
        .set({ status: "done", completedAt: new Date(), lockedUntil: null, lastError: null })
        .where(eq(outbox.id, jobId));
      logger.info("job done", { durationMs: Math.round(performance.now() - started), ...result });
      return c.json({ jobId, status: "done" }, 200);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const permanent = error instanceof PermanentJobError;
      if (permanent || claimed.attempts >= claimed.maxAttempts) {
        await db
          .update(outbox)
          .set({ status: "dead", lockedUntil: null, lastError: message })
          .where(eq(outbox.id, jobId));
        logger.error("job failed: dead letter", { error, permanent });
        await job.onDead?.(services, parsed.data, message);
        return nonRetryable(message, requestId);
      }
      const retryAfter = backoffSeconds(
        claimed.attempts,
        error instanceof RetryableJobError ? error.retryAfter : undefined,
      );
      await db
        .update(outbox)
        .set({
          status: "failed",
          lockedUntil: null,
          lastError: message,
          nextAttemptAt: sql`now() + make_interval(secs => ${retryAfter})`,
        })
        .where(eq(outbox.id, jobId));
      logger.warn("job failed: will retry", { error, retryAfter });
      return problemResponse("UNAVAILABLE", `Job failed, retry in ${retryAfter} s: ${message}`, {
        requestId,
        retryAfter,
      });
    }
  });
}
