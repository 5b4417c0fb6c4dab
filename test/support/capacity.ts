// What one request costs the platform, counted rather than estimated: Worker invocations (the
// request, then each QStash delivery it causes, delivered here as QStash would), database
// connections and round trips (counted on the wire by test/support/wire-counter.ts), and QStash
// messages (published to the loopback fake).
import { inject } from "vitest";
import type { Driver } from "./env";
import { qstashEnv } from "./env";
import { call } from "./http";
import { type QStashMessage, qstashMessages } from "./provider";
import { jobsOf } from "./scenario";
import type { WireCounts } from "./wire-counter";

/** One Worker invocation: the request itself, or a job's delivery (named by the job). */
export type Step = { invocation: string; connections: number; roundTrips: number };

/** Every invocation the request caused, in order; all but the first are QStash deliveries. */
export type Cost = { steps: Step[]; qstashMessages: number };

const JOBS_URL = "http://localhost:8787/jobs/";

/** Production's setup: jobs through QStash, and the database behind the counting proxy. */
export const countedEnv = () => ({ ...qstashEnv(), DATABASE_URL: inject("wireCounter").databaseUrl });

/** What the wire counter has seen since it started (test/support/wire-counter.ts). */
export async function wire(): Promise<WireCounts> {
  return (await fetch(`${inject("wireCounter").url}/counts`)).json();
}

/** The QStash messages published for the organization's jobs (the fake holds every test's). */
async function published(organizationId: string): Promise<QStashMessage[]> {
  const ids = new Set((await jobsOf(organizationId)).map((job) => job.id));
  return (await qstashMessages(JOBS_URL)).filter((m) => ids.has(JSON.parse(m.body).jobId));
}

/**
 * Runs one request (`act`, which must use countedEnv()), then delivers every QStash message it
 * caused, and the messages those deliveries cause, until none is left; returns what it all cost.
 * The organization's earlier messages are not delivered again.
 */
export async function cost(
  organizationId: string,
  driver: Driver,
  request: string,
  act: () => Promise<unknown>,
): Promise<Cost> {
  const earlier = new Set((await published(organizationId)).map((m) => m.messageId));
  const steps: Step[] = [];
  const step = async (invocation: string, run: () => Promise<unknown>) => {
    const before = await wire();
    await run();
    const after = await wire();
    // Statements equal round trips: neither driver pipelines, and no query holds two statements.
    if (after.statements - before.statements !== after.roundTrips - before.roundTrips) {
      throw new Error(`${invocation}: statements and round trips differ`);
    }
    steps.push({
      invocation,
      connections: after.connections - before.connections,
      roundTrips: after.roundTrips - before.roundTrips,
    });
  };
  await step(request, act);
  for (;;) {
    const pending = (await published(organizationId)).filter((m) => !earlier.has(m.messageId));
    if (pending.length === 0) break;
    for (const message of pending) {
      earlier.add(message.messageId);
      await step(new URL(message.url).pathname, async () => {
        const delivered = await call(new URL(message.url).pathname, {
          env: countedEnv(),
          driver,
          method: "POST",
          body: message.body,
          headers: { "content-type": "application/json", "upstash-signature": message.signature },
        });
        if (delivered.status !== 200) throw new Error(`delivery failed: ${delivered.status} ${delivered.text}`);
      });
    }
  }
  return { steps, qstashMessages: steps.length - 1 };
}
