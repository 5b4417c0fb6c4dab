// Placed calls whose outcome is unknown (src/voice/place/unknown-outcome.ts), through the gateway's
// scheduled entry point: call.place marked its attempt but never stored a provider call id, and no
// callback came; ten minutes later the cron fails the call once (forward-only), records why, and
// tells the events webhook. The job still never dials twice. Calls are aged by moving their
// placement's attempt (and row) ten minutes back, so the cron runs on the real clock and no other
// test's calls are ever old enough to be touched.
import { eq, sql } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { callEvents, callPlacements, calls } from "@/db/schema";
import { recordCallEvent } from "@/voice/calls";
import { brMobile, callRow, placeCall, redeliverPlaceJob, twilioVoiceChannel } from "../support/calls";
import { withDb } from "../support/db";
import { qstashEnv } from "../support/env";
import { createTenant, type Tenant } from "../support/fixtures";
import { call, runScheduled } from "../support/http";
import { eventsWebhookOnFake, fakeRequests, scriptFake } from "../support/provider";
import { jobsOf } from "../support/scenario";
import { postVoice, statusCallback } from "../support/twilio-voice";

// The job warns of each unknown outcome it records.
beforeEach(() => {
  vi.spyOn(console, "warn").mockImplementation(() => {});
});
afterEach(() => vi.restoreAllMocks());

/** As if `minutes` had passed since the call was asked for and dialed. */
const age = (callId: string, minutes = 11) =>
  withDb(async (db) => {
    const back = sql`interval '1 minute' * ${minutes}`;
    await db
      .update(calls)
      .set({ createdAt: sql`${calls.createdAt} - ${back}` })
      .where(eq(calls.id, callId));
    await db
      .update(callPlacements)
      .set({ attemptedAt: sql`${callPlacements.attemptedAt} - ${back}` })
      .where(eq(callPlacements.callId, callId));
  });

const eventsOfCall = (callId: string) =>
  withDb((db) => db.select().from(callEvents).where(eq(callEvents.callId, callId)).orderBy(callEvents.occurredAt));

async function withEventsWebhook(tenant: Tenant) {
  const { path } = await eventsWebhookOnFake(tenant.token, "unknown");
  return path;
}

/** A call Twilio took (201) but answered without a CallSid: the job records the outcome as unknown. */
async function unknownCall(tenant: Tenant) {
  const line = await twilioVoiceChannel(tenant.token);
  await scriptFake(line.callsPrefix, [{ status: 201, body: { status: "queued" } }]);
  const res = await placeCall(tenant.token, { channelId: line.channel.id, to: brMobile() });
  expect(res.status, res.text).toBe(202);
  const row = await callRow(res.body.id);
  expect(row?.call.status).toBe("queued");
  expect(row?.placement).toMatchObject({ attemptedAt: expect.any(Date), placedAt: null });
  expect(row?.placement?.error).toMatchObject({ code: "outcome_unknown" });
  return { ...line, callId: res.body.id as string };
}

describe("placed calls whose outcome is unknown", () => {
  it("fails the call ten minutes after the attempt, once, with the reason, a call event and call.ended", async () => {
    const tenant = await createTenant();
    const eventsPath = await withEventsWebhook(tenant);
    const placed = await unknownCall(tenant);

    await runScheduled();
    expect((await callRow(placed.callId))?.call.status, "too early to tell").toBe("queued");

    await age(placed.callId);
    // Overlapping ticks take the call once.
    await Promise.all([runScheduled(), runScheduled(), runScheduled()]);
    const row = await callRow(placed.callId);
    expect(row?.call).toMatchObject({
      status: "failed",
      disconnectionReason: "outcome_unknown",
      endedAt: expect.any(Date),
      metadata: { outcome: "unknown", outcomeReason: expect.stringContaining("not dialed again") },
    });
    // The job's own reason (Twilio's 2xx without a CallSid) stays on the placement.
    expect(row?.placement?.error?.message).toContain("without a message id");
    const events = await eventsOfCall(placed.callId);
    expect(events.map((e) => [e.kind, e.key])).toEqual([["placement.outcome_unknown", "placement:outcome_unknown"]]);

    const delivered = (await fakeRequests(eventsPath)).map((r) => JSON.parse(r.body));
    expect(delivered, JSON.stringify(delivered)).toHaveLength(1);
    expect(delivered[0]).toMatchObject({
      type: "call.ended",
      data: { callId: placed.callId, status: "failed", direction: "outbound", outcome: "unknown" },
    });

    await runScheduled();
    expect(await eventsOfCall(placed.callId)).toHaveLength(1);
    expect(await fakeRequests(eventsPath)).toHaveLength(1);
    // A redelivery of the job still dials nothing: one request to Twilio in all.
    expect((await redeliverPlaceJob(placed.callId)).status).toBe(200);
    expect(await fakeRequests(placed.callsPrefix)).toHaveLength(1);

    const detail = await call(`/api/calls/${placed.callId}`, { token: tenant.token });
    expect(detail.body, detail.text).toMatchObject({
      status: "failed",
      disconnectionReason: "outcome_unknown",
      events: [expect.objectContaining({ kind: "placement.outcome_unknown" })],
    });
  });

  it("fails a call whose delivery died after marking its attempt, and queues no event without an events webhook", async () => {
    const tenant = await createTenant();
    const { channel, callsPrefix } = await twilioVoiceChannel(tenant.token);
    // Queued for QStash (the fake keeps it): no delivery runs until the test says so.
    const res = await placeCall(tenant.token, { channelId: channel.id, to: brMobile() }, { env: qstashEnv() });
    // As if a delivery marked its attempt, dialed, and died before storing anything.
    await withDb((db) =>
      db.update(callPlacements).set({ attemptedAt: new Date() }).where(eq(callPlacements.callId, res.body.id)),
    );
    await age(res.body.id);
    await runScheduled();
    const row = await callRow(res.body.id);
    expect(row?.call).toMatchObject({ status: "failed", metadata: { outcome: "unknown" } });
    expect(row?.placement?.error).toMatchObject({ code: "outcome_unknown" });
    expect((await jobsOf(tenant.organizationId)).filter((j) => j.name === "events.deliver")).toEqual([]);
    // The late delivery finds the call over.
    expect((await redeliverPlaceJob(res.body.id)).status).toBe(200);
    expect(await fakeRequests(callsPrefix)).toHaveLength(0);
  });

  it("leaves alone a recent attempt, a call never attempted, a call with a callback, and a placed call", async () => {
    const tenant = await createTenant();
    const recent = await unknownCall(tenant);

    const { channel } = await twilioVoiceChannel(tenant.token);
    const neverTried = await placeCall(tenant.token, { channelId: channel.id, to: brMobile() }, { env: qstashEnv() });
    await age(neverTried.body.id);

    const heardOf = await unknownCall(tenant);
    await withDb((db) =>
      recordCallEvent(db, {
        organizationId: tenant.organizationId,
        callId: heardOf.callId,
        kind: "status.ringing",
        key: "call-progress-events:1",
        payload: {},
      }),
    );
    await age(heardOf.callId);

    const placed = await placeCall(tenant.token, { channelId: channel.id, to: brMobile() });
    expect((await callRow(placed.body.id))?.call.providerCallId).toMatch(/^CA/);
    await age(placed.body.id, 60);

    await runScheduled();
    for (const id of [recent.callId, neverTried.body.id, heardOf.callId, placed.body.id]) {
      expect((await callRow(id))?.call.status, id).toBe("queued");
    }
    expect((await callRow(neverTried.body.id))?.placement?.attemptedAt, "its job may still dial it").toBeNull();
  });

  it("links a placed call whose CallSid was lost when Twilio's status callback names it, so it is not failed", async () => {
    const tenant = await createTenant();
    const placed = await unknownCall(tenant);
    const sid = `CA${crypto.randomUUID().replaceAll("-", "")}`;
    const [account, authToken] = [placed.config.accountSid, placed.config.authToken];
    for (const [status, sequence] of [
      ["initiated", 0],
      ["ringing", 1],
    ] as const) {
      const res = await postVoice(
        placed.channel.id,
        "voice-status",
        authToken,
        statusCallback(account, sid, status, sequence, { Direction: "outbound-api" }),
        { query: { callId: placed.callId } },
      );
      expect(res.status, res.text).toBe(200);
    }
    const rows = await withDb((db) => db.select().from(calls).where(eq(calls.organizationId, tenant.organizationId)));
    expect(rows, "no row of its own for the callback").toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: placed.callId, providerCallId: sid, status: "ringing" });

    await age(placed.callId);
    await runScheduled();
    expect((await callRow(placed.callId))?.call.status).toBe("ringing");
    expect((await eventsOfCall(placed.callId)).map((e) => e.kind).sort()).toEqual(["status.queued", "status.ringing"]);
  });
});
