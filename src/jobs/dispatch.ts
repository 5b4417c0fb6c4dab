import { Client } from "@upstash/qstash";
import { and, eq, sql } from "drizzle-orm";
import { outbox } from "@/db/schema";
import type { Bindings, Env } from "@/platform/env";
import type { Services } from "@/platform/services";
import { cleanText } from "@/platform/text";
import type { DispatchableJob } from "./outbox";
import { LOCAL_SIGNATURE_HEADER, signLocalDelivery } from "./signature";

export type JobTransport = (request: Request, bindings: Bindings, ctx: ExecutionContext) => Promise<Response>;

// Set once at start-up by the gateway, which holds the jobs app in the same Worker: local
// deliveries then never leave the process. Without it they go over HTTP to PUBLIC_URL.
let localTransport: JobTransport | undefined;
export function useLocalJobTransport(transport: JobTransport): void {
  localTransport = transport;
}

export function qstashConfigured(env: Env): boolean {
  return Boolean(env.QSTASH_TOKEN);
}

export function jobUrl(env: Env, name: string): string {
  return `${env.PUBLIC_URL}/jobs/${name}`;
}

/** Seconds to wait before attempt `attempts + 1`: 10 s, 20 s, 40 s ... capped at an hour. */
export function backoffSeconds(attempts: number, retryAfter?: number): number {
  const exponential = Math.min(3600, 10 * 2 ** Math.max(0, attempts - 1));
  return Math.max(exponential, retryAfter ?? 0);
}

/**
 * After commit: publish to QStash (delayed as the job asked), or deliver locally. A delayed job is
 * not delivered locally: the cron's sweep runs it once it is due. Failures leave the row for the cron.
 */
export async function dispatch(services: Services, rows: DispatchableJob[]): Promise<void> {
  for (const row of rows) {
    if (qstashConfigured(services.env)) await publish(services, row);
    else if (!row.delaySeconds) await deliverLocally(services, row);
  }
}

async function publish(services: Services, row: DispatchableJob): Promise<void> {
  const { env, db, log } = services;
  try {
    const client = new Client({ token: env.QSTASH_TOKEN ?? "", baseUrl: env.QSTASH_URL, retry: false });
    await client.publishJSON({
      url: jobUrl(env, row.name),
      body: { jobId: row.id, payload: row.payload },
      // QStash drops a second publish of the same id, so a re-publish never delivers twice.
      deduplicationId: row.id,
      retries: Math.max(0, row.maxAttempts - 1),
      ...(row.delaySeconds ? { delay: row.delaySeconds } : {}),
    });
    await db
      .update(outbox)
      .set({ status: "published", publishedAt: new Date(), lastError: null })
      .where(and(eq(outbox.id, row.id), eq(outbox.status, "pending")));
  } catch (error) {
    log.warn("job publish failed; the cron will re-publish", { jobId: row.id, job: row.name, error });
    await db
      .update(outbox)
      .set({
        lastError: cleanText(`publish failed: ${String(error)}`),
        // A delayed job keeps its time if that is later: the re-publish must not run it early.
        nextAttemptAt: sql`greatest(${outbox.nextAttemptAt}, now() + interval '30 seconds')`,
      })
      .where(eq(outbox.id, row.id));
  }
}

async function deliverLocally(services: Services, row: DispatchableJob): Promise<void> {
  const { env, log, bindings, ctx, db } = services;
  const key = env.LOCAL_JOBS_SIGNING_KEY;
  if (!key) {
    log.error("cannot deliver job: neither QSTASH_TOKEN nor LOCAL_JOBS_SIGNING_KEY is set", { jobId: row.id });
    return;
  }
  const path = `/jobs/${row.name}`;
  const body = JSON.stringify({ jobId: row.id, payload: row.payload });
  const request = new Request(jobUrl(env, row.name), {
    method: "POST",
    headers: {
      "content-type": "application/json",
      [LOCAL_SIGNATURE_HEADER]: await signLocalDelivery(key, path, body),
      "x-request-id": services.requestId,
    },
    body,
  });
  try {
    const response = localTransport
      ? await localTransport(request, bindings, ctx as ExecutionContext)
      : await fetch(request);
    await response.body?.cancel();
  } catch (error) {
    // The handler never ran (or crashed before answering): let the cron try again.
    log.warn("local job delivery failed; the cron will retry", { jobId: row.id, job: row.name, error });
    await db
      .update(outbox)
      .set({
        status: "failed",
        lastError: cleanText(`delivery failed: ${String(error)}`),
        nextAttemptAt: sql`now() + interval '30 seconds'`,
      })
      .where(and(eq(outbox.id, row.id), sql`${outbox.status} in ('pending', 'published')`));
  }
}
