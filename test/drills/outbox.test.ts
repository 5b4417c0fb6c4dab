// Drill: the outbox with QStash failing. Inbound WhatsApp messages (in webhooks of fifty, as Meta
// batches them) to an organization with an events webhook make one events.deliver job each. The
// QStash fake fails a seeded 20 % of their publishes: half before taking the message, half after
// (only the answer is lost, so a re-publish must be deduplicated). The test then plays QStash and
// the cron until nothing is left: it delivers every published message with its real signature,
// some twice at once and some again at the end, retries 5xx answers, and runs the cron whenever
// jobs wait to be re-published. Every job must have run exactly once: one request per job at the
// customer's endpoint, one message.received per stored message, nothing lost, nothing doubled.
import { and, eq, sql } from "drizzle-orm";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import { messages, outbox } from "@/db/schema";
import { withDb } from "../support/db";
import { qstashEnv } from "../support/env";
import { createTenant, unique } from "../support/fixtures";
import { prng as seeded } from "../support/fuzz";
import { call, runScheduled, type TestResponse } from "../support/http";
import { metaMessagePayload, postMeta, wamid } from "../support/meta";
import {
  createChannel,
  eventsWebhookOnFake,
  fakeRequests,
  type QStashMessage,
  qstashMessages,
} from "../support/provider";
import { jobsOf, makeDue } from "../support/scenario";
import { failPublishes } from "./faults";
import { reportDrill, statusClasses } from "./report";

const env = qstashEnv();
const JOBS_URL = "http://localhost:8787/jobs/";
const BATCH = 50;
const SENDERS = 10;
const WIDTH = 8;
/** About 20 s per thousand messages here on either database: room for a slower, busier machine. */
const timeoutFor = (messages: number) => Math.max(90_000, messages * 120);

/** A Meta webhook carrying many messages, from several customers, as Meta batches them. */
function batchPayload(phoneNumberId: string, first: number, count: number) {
  const payload = metaMessagePayload(phoneNumberId, { type: "text" });
  const change = payload.entry[0]?.changes[0];
  if (!change) throw new Error("metaMessagePayload changed shape");
  const numbers = Array.from({ length: SENDERS }, (_, i) => `55119876${String(54300 + i)}`);
  const timestamp = String(Math.floor(Date.now() / 1000));
  change.value.contacts = numbers.map((wa_id, i) => ({ profile: { name: `Cliente ${i}` }, wa_id }));
  change.value.messages = Array.from({ length: count }, (_, i) => ({
    from: numbers[(first + i) % SENDERS] ?? "",
    id: wamid(),
    timestamp,
    type: "text",
    text: { body: `mensagem ${first + i}` },
  }));
  return payload;
}

const pending = (organizationId: string) =>
  withDb(async (db) => {
    const [row] = await db
      .select({ n: sql<number>`count(*)::int` })
      .from(outbox)
      .where(and(eq(outbox.organizationId, organizationId), eq(outbox.status, "pending")));
    return row?.n ?? 0;
  });

async function inParallel<T, R>(items: T[], width: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await run(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return results;
}

const deliver = (message: QStashMessage) =>
  call(new URL(message.url).pathname, {
    env,
    method: "POST",
    body: message.body,
    headers: { "content-type": "application/json", "upstash-signature": message.signature },
  });

afterEach(() => vi.restoreAllMocks());

describe("drill: outbox with failing QStash publishes", () => {
  it(
    "runs every job exactly once after the cron re-publishes what failed",
    async (context) => {
      // Hundreds of expected failures (publishes, 503s for concurrent deliveries) are logged; the
      // assertions below say what happened.
      for (const level of ["error", "warn"] as const) vi.spyOn(console, level).mockImplementation(() => {});
      const { outboxMessages: total, seed } = inject("drill");
      const random = seeded(seed);
      const tenant = await createTenant();
      const { path: hook } = await eventsWebhookOnFake(tenant.token, "drill");
      const phoneNumberId = unique("pn");
      const config = { phoneNumberId, accessToken: "EAAG-test", appSecret: unique("secret"), verifyToken: "v" };
      const channel = await createChannel(tenant.token, { type: "whatsapp_meta", config });
      const faults = await failPublishes({
        url: JOBS_URL,
        match: tenant.organizationId,
        rate: 0.2,
        seed,
        acceptedShare: 0.5,
      });

      const webhooks: TestResponse[] = [];
      for (let first = 0; first < total; first += BATCH) {
        const payload = batchPayload(phoneNumberId, first, Math.min(BATCH, total - first));
        webhooks.push(
          await postMeta(channel.id, config.appSecret, payload, {
            env: { ...env, WEBHOOK_RATE_LIMIT_PER_MINUTE: 100_000 },
          }),
        );
      }
      for (const res of webhooks) expect(res.status, res.text).toBe(200);

      // Play QStash and the cron until every job of the organization has finished.
      const answers: TestResponse[] = [];
      const settled = new Set<string>();
      let rounds = 0;
      for (; rounds < 100; rounds++) {
        const jobs = await jobsOf(tenant.organizationId);
        const ours = new Set(jobs.map((j) => j.id));
        const due = (await qstashMessages(JOBS_URL)).filter(
          (m) => ours.has(JSON.parse(m.body).jobId) && !settled.has(m.messageId),
        );
        if (due.length === 0 && jobs.every((j) => j.status === "done")) break;
        await inParallel(due, WIDTH, async (message) => {
          // QStash delivers at least once: now and then the same message twice at the same time.
          const twice = random() < 0.1;
          const delivered = await Promise.all(twice ? [deliver(message), deliver(message)] : [deliver(message)]);
          answers.push(...delivered);
          // A 5xx (the job failed, or a concurrent delivery held it) is retried in a later round.
          if (delivered.some((r) => r.status < 500)) settled.add(message.messageId);
        });
        // The cron re-publishes up to a hundred jobs a tick: tick until none waits.
        for (let tick = 0; tick < 50 && (await pending(tenant.organizationId)) > 0; tick++) {
          await makeDue(tenant.organizationId);
          await runScheduled({ env });
        }
      }
      // Late redeliveries of finished jobs change nothing.
      const all = (await qstashMessages(JOBS_URL)).filter((m) => settled.has(m.messageId));
      const late = all.filter(() => random() < 0.05);
      answers.push(...(await inParallel(late, WIDTH, deliver)));

      const jobs = await jobsOf(tenant.organizationId);
      const eventJobs = jobs.filter((j) => j.name === "events.deliver");
      const received = await fakeRequests(hook);
      const runs = new Map<string, number>();
      for (const request of received) {
        const id = JSON.parse(request.body).id as string;
        runs.set(id, (runs.get(id) ?? 0) + 1);
      }
      const receivedMessages = new Set(
        received
          .map((r) => JSON.parse(r.body))
          .filter((e) => e.type === "message.received")
          .map((e) => e.data.messageId),
      );
      const storedMessages = await withDb((db) =>
        db.select({ id: messages.id }).from(messages).where(eq(messages.channelId, channel.id)),
      );
      const injected = await faults.injected();
      const doubled = [...runs.values()].filter((n) => n > 1).length;
      // Lost: a message never stored, or an event job that never reached the customer's endpoint.
      const lost = total - storedMessages.length + eventJobs.filter((j) => !runs.has(j.id)).length;
      reportDrill(context, {
        drill: "outbox, 20 % of QStash publishes fail",
        cases: total,
        ...statusClasses(answers.map((a) => a.status)),
        lost,
        doubled,
      });

      const about = `seed ${seed}, ${rounds} rounds, ${JSON.stringify(injected)} publishes failed`;
      expect(injected.failed, `the fault must have bitten (${about})`).toBeGreaterThan(total / 10);
      expect(injected.accepted, about).toBeGreaterThan(0);
      expect(storedMessages.length, about).toBe(total);
      expect(
        jobs.filter((j) => j.status !== "done"),
        about,
      ).toEqual([]);
      expect(doubled, `jobs whose effect happened twice (${about})`).toBe(0);
      expect(lost, `messages or jobs with no effect (${about})`).toBe(0);
      expect(receivedMessages.size, about).toBe(total);
      expect(answers.filter((a) => a.status >= 400 && a.status < 500 && a.status !== 489)).toEqual([]);
    },
    timeoutFor(inject("drill").outboxMessages),
  );
});
