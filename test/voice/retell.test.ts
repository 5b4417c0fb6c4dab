// Retell's call webhooks through the gateway: signed by retell-sdk, verified with retell-sdk's own
// verify against the raw body; call_started, call_ended and call_analyzed make one call whatever
// their order; redeliveries are stored once; other events are acknowledged and kept as ignored.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { type calls, contacts } from "@/db/schema";
import { withDb } from "../support/db";
import { createTenant, unique } from "../support/fixtures";
import { createChannel, eventsWebhookOnFake, fakeRequests, hmacHex } from "../support/provider";
import {
  postRetell,
  RETELL_LINE,
  retellCall,
  retellLifecycle,
  storedCall,
  voiceCounts,
  webhookStatuses,
} from "../support/voice-agents";

async function setup() {
  const tenant = await createTenant();
  const apiKey = unique("key_");
  const channel = await createChannel(tenant.token, {
    type: "retell",
    config: { apiKey, fromNumber: RETELL_LINE },
  });
  return { tenant, channel, apiKey };
}

type Events = ReturnType<typeof retellLifecycle>;
type EventName = keyof Events;

const permutations = <T>(items: T[]): T[][] =>
  items.length <= 1
    ? [items]
    : items.flatMap((item, i) => permutations(items.filter((_, j) => j !== i)).map((rest) => [item, ...rest]));

/** The call row without what differs between two calls by construction. */
function comparable(row: typeof calls.$inferSelect | undefined) {
  if (!row) throw new Error("no call stored");
  const { id: _id, providerCallId: _p, contactId: _c, fromNumber: _f, createdAt: _cr, updatedAt: _u, ...rest } = row;
  return rest;
}

describe("Retell webhook", () => {
  it("turns call_started, call_ended and call_analyzed into one call with transcript, analysis and cost", async () => {
    const { tenant, channel, apiKey } = await setup();
    const base = retellCall();
    const events = retellLifecycle(base);
    for (const name of ["call_started", "call_ended", "call_analyzed"] as const) {
      const res = await postRetell(channel.id, apiKey, events[name]);
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ status: "stored", callId: expect.any(String) });
    }
    const { row, events: stored } = await storedCall("retell", base.call_id);
    expect(row).toMatchObject({
      organizationId: tenant.organizationId,
      channelId: channel.id,
      direction: "inbound",
      status: "completed",
      fromNumber: base.from_number,
      toNumber: RETELL_LINE,
      startedAt: new Date(base.start_timestamp),
      answeredAt: new Date(base.start_timestamp),
      endedAt: new Date(base.start_timestamp + 95_000),
      durationSeconds: 95,
      providerAgentId: "agent_3f9a1c",
      transcript: "Agent: Olá, aqui é a Sofia.\nUser: Quero saber do meu pedido.",
      transcriptTurns: [
        { role: "agent", text: "Olá, aqui é a Sofia.", atSeconds: 0.4 },
        { role: "user", text: "Quero saber do meu pedido.", atSeconds: 3.1 },
      ],
      recordingUrl: "https://dxc03zgurdly9.cloudfront.net/call/recording.wav",
      disconnectionReason: "user_hangup",
      summary: "O cliente perguntou pelo pedido 123.",
      sentiment: "positive",
      successful: true,
      analysis: { custom_analysis_data: { pedido: "123" }, in_voicemail: false },
      metadata: { callType: "phone_call", cost: { value: 12.5, unit: "usd_cents" } },
    });
    expect(stored.map((e) => e.kind).sort()).toEqual([
      "retell.call_analyzed",
      "retell.call_ended",
      "retell.call_started",
    ]);
    expect(stored.find((e) => e.kind === "retell.call_analyzed")?.payload).toEqual(events.call_analyzed);
    const [contact] = await withDb((db) =>
      db
        .select()
        .from(contacts)
        .where(eq(contacts.id, row?.contactId as string)),
    );
    expect(contact).toMatchObject({ organizationId: tenant.organizationId, phone: base.from_number });
    expect(await webhookStatuses(channel.id)).toEqual(["stored", "stored", "stored"]);
  });

  it("gives the same final row for the three events in all six orders", async () => {
    const { channel, apiKey } = await setup();
    const from = retellCall().from_number;
    const rows = [];
    for (const order of permutations<EventName>(["call_started", "call_ended", "call_analyzed"])) {
      const events = retellLifecycle(retellCall({ from_number: from }));
      for (const name of order) expect((await postRetell(channel.id, apiKey, events[name])).status).toBe(200);
      const { row } = await storedCall("retell", events.call_started.call.call_id);
      rows.push({ order: order.join(" > "), row: comparable(row) });
    }
    expect(rows).toHaveLength(6);
    for (const { order, row } of rows.slice(1)) expect(row, order).toEqual(rows[0]?.row);
    expect(rows[0]?.row).toMatchObject({ status: "completed", summary: expect.any(String), durationSeconds: 95 });
  });

  it("stores a redelivered event once and changes nothing", async () => {
    const { tenant, channel, apiKey } = await setup();
    const events = retellLifecycle(retellCall());
    const first = await postRetell(channel.id, apiKey, events.call_ended);
    const again = await postRetell(channel.id, apiKey, events.call_ended);
    expect(first.body).toMatchObject({ status: "stored" });
    expect(again.status, again.text).toBe(200);
    expect(again.body).toEqual({ status: "duplicate", callId: first.body.callId });
    const { events: stored } = await storedCall("retell", events.call_ended.call.call_id);
    expect(stored).toHaveLength(1);
    expect(await voiceCounts(tenant.organizationId, channel.id)).toEqual({ calls: 1, callEvents: 1, webhookEvents: 2 });
    expect(await webhookStatuses(channel.id)).toEqual(["stored", "duplicate"]);
  });

  it("stores five concurrent deliveries of one event once", async () => {
    const { tenant, channel, apiKey } = await setup();
    const events = retellLifecycle(retellCall());
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => postRetell(channel.id, apiKey, events.call_analyzed)),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers.map((a) => a.body.status).sort()).toEqual([
      "duplicate",
      "duplicate",
      "duplicate",
      "duplicate",
      "stored",
    ]);
    expect(new Set(answers.map((a) => a.body.callId)).size).toBe(1);
    expect(await voiceCounts(tenant.organizationId, channel.id)).toEqual({ calls: 1, callEvents: 1, webhookEvents: 5 });
  });

  it.each([
    ["another key", { key: "key_wrong" }],
    ["no signature", { key: null }],
    ["a signature from 6 minutes ago", { signedAt: Date.now() - 6 * 60_000 }],
    ["a body changed after signing", { tamper: true }],
    ["a signature that is not Retell's format", { signature: "sha256=abc" }],
  ])("refuses %s with 401 and stores nothing", async (_, variant) => {
    const { tenant, channel, apiKey } = await setup();
    const payload = retellLifecycle(retellCall()).call_ended;
    const body = JSON.stringify(payload);
    const options: { signedAt?: number; signature?: string } = {};
    if ("signedAt" in variant) options.signedAt = variant.signedAt;
    if ("signature" in variant) options.signature = variant.signature;
    if ("tamper" in variant) {
      const { symmetric } = await import("retell-sdk/lib/webhook_auth");
      options.signature = await symmetric.sign(body, apiKey, Date.now());
    }
    const key = "key" in variant ? variant.key : apiKey;
    const sent = "tamper" in variant ? body.replace("user_hangup", "agent_hangup") : body;
    const res = await postRetell(channel.id, key, sent, options);
    expect(res.status, res.text).toBe(401);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(await voiceCounts(tenant.organizationId, channel.id)).toEqual({ calls: 0, callEvents: 0, webhookEvents: 0 });
  });

  it.each([
    ["a body that is not JSON", "{not json"],
    ["a body without call", { event: "call_ended" }],
    ["a call without call_id", { event: "call_started", call: { call_status: "ongoing" } }],
    ["a duration that is not a number", { event: "call_ended", call: { call_id: "call_x", duration_ms: "95s" } }],
  ])("answers %s with 400 problem+json and stores nothing", async (_, payload) => {
    const { tenant, channel, apiKey } = await setup();
    const res = await postRetell(channel.id, apiKey, payload);
    expect(res.status, res.text).toBe(400);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(await voiceCounts(tenant.organizationId, channel.id)).toEqual({ calls: 0, callEvents: 0, webhookEvents: 0 });
  });

  it("acknowledges transcript_updated and transfer events and keeps them as ignored", async () => {
    const { tenant, channel, apiKey } = await setup();
    const base = retellCall();
    for (const event of ["transcript_updated", "transfer_started", "transfer_bridged"]) {
      const res = await postRetell(channel.id, apiKey, { event, call: base });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toEqual({ status: "ignored", reason: `event ${event} is not stored` });
    }
    expect(await voiceCounts(tenant.organizationId, channel.id)).toEqual({ calls: 0, callEvents: 0, webhookEvents: 3 });
    expect(await webhookStatuses(channel.id)).toEqual(["ignored", "ignored", "ignored"]);
  });

  it("files an outbound call under the number dialled and maps an unanswered dial to no-answer", async () => {
    const { channel, apiKey } = await setup();
    const dialled = retellCall().from_number;
    const base = retellCall({ direction: "outbound", from_number: RETELL_LINE, to_number: dialled });
    const ended = {
      ...base,
      call_status: "not_connected",
      disconnection_reason: "dial_no_answer",
      end_timestamp: base.start_timestamp + 30_000,
    };
    expect((await postRetell(channel.id, apiKey, { event: "call_ended", call: ended })).status).toBe(200);
    const { row } = await storedCall("retell", base.call_id);
    expect(row).toMatchObject({ direction: "outbound", status: "no-answer", answeredAt: null, toNumber: dialled });
    const [contact] = await withDb((db) =>
      db
        .select()
        .from(contacts)
        .where(eq(contacts.id, row?.contactId as string)),
    );
    expect(contact?.phone).toBe(dialled);
  });

  it("refuses an event naming another organization's call and leaves that call as it was", async () => {
    const a = await setup();
    const b = await setup();
    const events = retellLifecycle(retellCall());
    expect((await postRetell(a.channel.id, a.apiKey, events.call_started)).status).toBe(200);
    const forged = await postRetell(b.channel.id, b.apiKey, events.call_analyzed);
    expect(forged.status, forged.text).toBe(409);
    const { row, events: stored } = await storedCall("retell", events.call_started.call.call_id);
    expect(row).toMatchObject({ organizationId: a.tenant.organizationId, status: "in-progress", summary: null });
    expect(stored).toHaveLength(1);
    expect(await voiceCounts(b.tenant.organizationId, b.channel.id)).toEqual({
      calls: 0,
      callEvents: 0,
      webhookEvents: 0,
    });
  });

  it("answers 404 for an unknown channel and for a channel of another type", async () => {
    const { tenant, apiKey } = await setup();
    const other = await createChannel(tenant.token, {
      type: "elevenlabs",
      config: { webhookSecret: "wsec_elevenlabs_test_secret" },
    });
    const payload = retellLifecycle(retellCall()).call_started;
    for (const id of [crypto.randomUUID(), other.id, "not-a-uuid"]) {
      const res = await postRetell(id, apiKey, payload);
      expect(res.status, `${id}: ${res.text}`).toBe(404);
    }
  });

  it("tells the events webhook call.started, call.ended and call.analyzed once each", async () => {
    const { tenant, channel, apiKey } = await setup();
    const { path, secret } = await eventsWebhookOnFake(tenant.token, "retell");
    const events = retellLifecycle(retellCall());
    for (const name of ["call_analyzed", "call_started", "call_ended", "call_analyzed"] as const) {
      expect((await postRetell(channel.id, apiKey, events[name])).status).toBe(200);
    }
    const delivered = await fakeRequests(path);
    const bodies = delivered.map((r) => JSON.parse(r.body));
    expect(bodies.map((b) => b.type).sort()).toEqual(["call.analyzed", "call.ended", "call.started"]);
    const analyzed = bodies.find((b) => b.type === "call.analyzed");
    expect(analyzed.data).toMatchObject({
      provider: "retell",
      providerCallId: events.call_started.call.call_id,
      status: "completed",
      summary: "O cliente perguntou pelo pedido 123.",
      successful: true,
    });
    for (const request of delivered) {
      const [t, v1] = (request.headers["x-switchboard-signature"] ?? "").split(",").map((p) => p.split("=")[1]);
      expect(v1).toBe(await hmacHex(secret, `${t}.${path}.${request.body}`));
    }
  });
});
