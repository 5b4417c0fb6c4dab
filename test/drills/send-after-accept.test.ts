// Drill: a send job dies after the provider accepted the message. The provider (the Meta fake)
// answers 200 with a message id; then the proxy cuts the job's connection as it writes that id
// and blacks the database out, so not even the job's failure is recorded, as when the process
// dies. Documented behaviour: sending is at-least-once; the job's lease (five minutes) holds every
// redelivery off, and after it the message is sent at most once more, which the ticket's history
// shows as a possible repeat.
import { eq } from "drizzle-orm";
import { describe, expect, it, type TestContext } from "vitest";
import { outbox } from "@/db/schema";
import { RESENT_AFTER_UNKNOWN_OUTCOME } from "@/outbound/attempts";
import { withDb } from "../support/db";
import { qstashEnv } from "../support/env";
import { call, runScheduled, type TestResponse } from "../support/http";
import { fakeRequests, qstashMessages } from "../support/provider";
import { conversation, jobsOf, makeDue, messageRow } from "../support/scenario";
import { armDatabaseFault, faultyDatabase } from "./faults";
import { reportDrill, statusClasses } from "./report";

const JOBS_URL = "http://localhost:8787/jobs/";

/** Ends the job's lease, as five minutes would. */
const expireLease = (jobId: string) =>
  withDb((db) =>
    db
      .update(outbox)
      .set({ lockedUntil: new Date(Date.now() - 1000) })
      .where(eq(outbox.id, jobId)),
  );

/**
 * Cuts the write of the provider's message id and takes the database away after it. Scoped to a
 * message when its id is known; otherwise to the statement (only drills use the proxy, and no
 * other drill sends messages).
 */
const dieAfterProviderAccepted = (messageId?: string) =>
  armDatabaseFault({
    match: ['set "provider_message_id" = $1, "status" = $2', ...(messageId ? [messageId] : [])],
    cut: "request",
    after: "blackout",
  });

async function sendJobOf(organizationId: string) {
  const job = (await jobsOf(organizationId)).find((j) => j.name === "message.send");
  if (!job) throw new Error("no message.send job");
  return job;
}

async function historyOf(token: string, ticketId: string): Promise<{ action: string; changes: object }[]> {
  const ticket = await call(`/api/tickets/${ticketId}`, { token });
  expect(ticket.status, ticket.text).toBe(200);
  return ticket.body.history;
}

/** What the drill proves, whichever way the job was redelivered. */
async function expectOneRepeatAtMost(
  context: TestContext,
  scope: { token: string; ticketId: string; messageId: string; graphPrefix: string },
  answers: TestResponse[],
) {
  const sends = await fakeRequests(scope.graphPrefix);
  const message = await messageRow(scope.messageId);
  const history = await historyOf(scope.token, scope.ticketId);
  const repeats = history.filter((h) => h.action === RESENT_AFTER_UNKNOWN_OUTCOME);
  reportDrill(context, {
    drill: "send job dies after the provider took it",
    cases: 1,
    ...statusClasses(answers.map((a) => a.status)),
    lost: message?.status === "sent" ? 0 : 1,
    // Two sends are the documented at-least-once; more would be a double beyond it.
    doubled: sends.length > 2 ? 1 : 0,
  });
  expect(sends, "the provider got the message, then exactly one more send after the lease").toHaveLength(2);
  expect(message).toMatchObject({ status: "sent", providerMessageId: expect.any(String) });
  expect(repeats, JSON.stringify(history)).toHaveLength(1);
  expect(repeats[0]?.changes).toMatchObject({ messageId: { after: scope.messageId } });
}

describe("drill: a send job dies after the provider accepted the message", () => {
  it("through QStash: redeliveries wait for the lease, then it is sent once more and the history says so", async (context) => {
    const env = qstashEnv();
    const { tenant, ticket, graphPrefix } = await conversation({ env });
    const sent = await call(`/api/tickets/${ticket.id}/messages`, {
      env,
      token: tenant.token,
      json: { type: "text", text: "sua segunda via está pronta" },
    });
    expect(sent.status, sent.text).toBe(202);
    const job = await sendJobOf(tenant.organizationId);
    const [published] = (await qstashMessages(JOBS_URL)).filter((m) => JSON.parse(m.body).jobId === job.id);
    if (!published) throw new Error("the send job was not published");
    const deliver = (overrides: Record<string, unknown> = {}) =>
      call(new URL(published.url).pathname, {
        env: { ...env, ...overrides },
        method: "POST",
        body: published.body,
        headers: { "content-type": "application/json", "upstash-signature": published.signature },
      });

    const fault = await dieAfterProviderAccepted(sent.body.id);
    const died = await deliver(faultyDatabase());
    expect(await fault.status()).toMatchObject({ fired: true });
    await fault.disarm();
    expect(died.status, died.text).toBeGreaterThanOrEqual(500);
    expect(await fakeRequests(graphPrefix), "the provider took the message").toHaveLength(1);
    expect(await messageRow(sent.body.id)).toMatchObject({ status: "queued", providerMessageId: null });
    expect((await messageRow(sent.body.id))?.sendAttemptedAt).toBeInstanceOf(Date);

    // QStash retries at once: the dead job still holds its lease, so nothing is sent.
    const early = await deliver();
    expect(early.status, early.text).toBe(503);
    expect(await fakeRequests(graphPrefix)).toHaveLength(1);

    await expireLease(job.id);
    const retried = await deliver();
    expect(retried.status, retried.text).toBe(200);
    const late = await deliver();
    expect(late.body, late.text).toMatchObject({ duplicate: true, status: "done" });

    const scope = { token: tenant.token, ticketId: ticket.id, messageId: sent.body.id, graphPrefix };
    await expectOneRepeatAtMost(context, scope, [died, early, retried, late]);
  });

  it("delivered locally: the cron takes the job over after the lease, sends once more, and the history says so", async (context) => {
    const { tenant, ticket, graphPrefix } = await conversation();
    const scope = { token: tenant.token, ticketId: ticket.id, messageId: "", graphPrefix };
    // The job runs in the background of the reply's own call, before its message id is known here.
    const fault = await dieAfterProviderAccepted();
    const sent = await call(`/api/tickets/${ticket.id}/messages`, {
      env: faultyDatabase(),
      token: tenant.token,
      json: { type: "text", text: "sua segunda via está pronta" },
    });
    scope.messageId = sent.body.id;
    expect(await fault.status()).toMatchObject({ fired: true });
    await fault.disarm();
    expect(sent.status, sent.text).toBe(202);
    expect(await fakeRequests(graphPrefix)).toHaveLength(1);
    const job = await sendJobOf(tenant.organizationId);
    expect(job).toMatchObject({ status: "running" });

    await makeDue(tenant.organizationId);
    await runScheduled();
    expect(await fakeRequests(graphPrefix), "the lease holds the cron off").toHaveLength(1);
    await expireLease(job.id);
    await runScheduled();
    await makeDue(tenant.organizationId);
    await runScheduled();
    expect((await sendJobOf(tenant.organizationId)).status).toBe("done");
    await expectOneRepeatAtMost(context, scope, [sent]);
  });
});
