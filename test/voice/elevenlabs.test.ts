// ElevenLabs' post-call webhooks through the gateway: ElevenLabs-Signature (t=,v0=, 30 minutes) or
// a static X-Webhook-Token; transcriptions and initiation failures become calls with the raw event
// kept; audio is acknowledged and not kept.
import { describe, expect, it } from "vitest";
import { AUDIO_IGNORED } from "@/voice/elevenlabs/webhook";
import { createTenant, unique } from "../support/fixtures";
import { call } from "../support/http";
import { createChannel } from "../support/provider";
import {
  elevenlabsFailure,
  elevenlabsSignature,
  elevenlabsTranscription,
  mobile,
  postElevenlabs,
  storedCall,
  voiceCounts,
  webhookStatuses,
} from "../support/voice-agents";

async function setup() {
  const tenant = await createTenant();
  const secret = `wsec_${unique("elevenlabs")}`;
  const channel = await createChannel(tenant.token, { type: "elevenlabs", config: { webhookSecret: secret } });
  return { tenant, channel, secret };
}

const audio = (conversationId: string, bytes = 2048) => ({
  type: "post_call_audio",
  event_timestamp: Math.floor(Date.now() / 1000),
  data: { agent_id: "agent_01jbanco", conversation_id: conversationId, full_audio: "A".repeat(bytes) },
});

describe("ElevenLabs webhook", () => {
  it("stores a signed post_call_transcription as a call with transcript, analysis, metadata and the raw event", async () => {
    const { tenant, channel, secret } = await setup();
    const event = elevenlabsTranscription();
    const res = await postElevenlabs(channel.id, { secret }, event);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ status: "stored", callId: expect.any(String) });
    const { row, events } = await storedCall("elevenlabs", event.data.conversation_id);
    const customer = event.data.metadata.phone_call.external_number;
    expect(row).toMatchObject({
      organizationId: tenant.organizationId,
      channelId: channel.id,
      direction: "inbound",
      status: "completed",
      fromNumber: customer,
      toNumber: "+525550001111",
      startedAt: new Date("2026-12-01T10:00:00Z"),
      endedAt: new Date("2026-12-01T10:01:02Z"),
      durationSeconds: 62,
      providerAgentId: "agent_01jbanco",
      transcript:
        "agent: Banco Sol, em que posso ajudar?\nuser: Quero bloquear meu cartão.\nagent: Pronto, cartão bloqueado.",
      transcriptTurns: [
        { role: "agent", text: "Banco Sol, em que posso ajudar?", atSeconds: 0 },
        { role: "user", text: "Quero bloquear meu cartão.", atSeconds: 4 },
        { role: "agent", text: "Pronto, cartão bloqueado.", atSeconds: 9 },
      ],
      summary: "Cliente pediu o bloqueio do cartão; bloqueado.",
      successful: true,
      analysis: { call_successful: "success", data_collection_results: { motivo: { value: "bloqueio" } } },
      disconnectionReason: "end_call tool was called.",
      metadata: { cost: { value: 410, unit: "credits" }, telephony: "twilio" },
    });
    expect(row?.contactId).toBeTruthy();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: "elevenlabs.post_call_transcription", payload: event });
    expect(await webhookStatuses(channel.id)).toEqual(["stored"]);
  });

  it("accepts the static X-Webhook-Token equal to the secret", async () => {
    const { channel, secret } = await setup();
    const event = elevenlabsTranscription();
    const res = await postElevenlabs(channel.id, { token: secret }, event);
    expect(res.status, res.text).toBe(200);
    expect((await storedCall("elevenlabs", event.data.conversation_id)).row?.status).toBe("completed");
  });

  it.each([
    [
      "a signature with another secret",
      async (_s: string, body: string) => ({
        "elevenlabs-signature": await elevenlabsSignature("wsec_other_secret_123", body),
      }),
    ],
    [
      "a signature from 31 minutes ago",
      async (s: string, body: string) => ({
        "elevenlabs-signature": await elevenlabsSignature(s, body, Date.now() - 31 * 60_000),
      }),
    ],
    [
      "a body changed after signing",
      async (s: string, body: string) => ({
        "elevenlabs-signature": await elevenlabsSignature(s, body.replace("success", "failure")),
      }),
    ],
    [
      "a signature without its timestamp",
      async (s: string, body: string) => ({
        "elevenlabs-signature": (await elevenlabsSignature(s, body)).replace(/^t=\d+,/, ""),
      }),
    ],
    ["a wrong X-Webhook-Token", async () => ({ "x-webhook-token": "wsec_not_the_secret" })],
    ["no credentials at all", async () => ({})],
  ])("refuses %s with 401 and stores nothing", async (_, headers) => {
    const { tenant, channel, secret } = await setup();
    const body = JSON.stringify(elevenlabsTranscription());
    const res = await call(`/webhooks/elevenlabs/${channel.id}`, {
      method: "POST",
      body,
      headers: { "content-type": "application/json", ...(await headers(secret, body)) },
    });
    expect(res.status, res.text).toBe(401);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(await voiceCounts(tenant.organizationId, channel.id)).toEqual({ calls: 0, callEvents: 0, webhookEvents: 0 });
  });

  it("accepts a signature 29 minutes old", async () => {
    const { channel, secret } = await setup();
    const res = await postElevenlabs(
      channel.id,
      { secret, signedAt: Date.now() - 29 * 60_000 },
      elevenlabsTranscription(),
    );
    expect(res.status, res.text).toBe(200);
  });

  it("stores a redelivered transcription once", async () => {
    const { tenant, channel, secret } = await setup();
    const event = elevenlabsTranscription();
    const first = await postElevenlabs(channel.id, { secret }, event);
    const again = await postElevenlabs(channel.id, { secret }, event);
    expect(again.status, again.text).toBe(200);
    expect(again.body).toEqual({ status: "duplicate", callId: first.body.callId });
    expect(await voiceCounts(tenant.organizationId, channel.id)).toEqual({ calls: 1, callEvents: 1, webhookEvents: 2 });
    expect(await webhookStatuses(channel.id)).toEqual(["stored", "duplicate"]);
  });

  it.each([
    ["busy", "busy"],
    ["no-answer", "no-answer"],
    ["unknown", "failed"],
  ])("records a call_initiation_failure (%s) as an outbound %s call to the number dialled", async (reason, status) => {
    const { channel, secret } = await setup();
    const to = mobile();
    const event = elevenlabsFailure(reason, unique("conv_"), to);
    const res = await postElevenlabs(channel.id, { secret }, event);
    expect(res.status, res.text).toBe(200);
    const { row, events } = await storedCall("elevenlabs", event.data.conversation_id);
    expect(row).toMatchObject({
      direction: "outbound",
      status,
      toNumber: to,
      fromNumber: "+525550001111",
      disconnectionReason: reason,
      answeredAt: null,
      endedAt: new Date("2026-12-01T11:00:00Z"),
      providerAgentId: "agent_01jbanco",
    });
    expect(row?.contactId).toBeTruthy();
    expect(events[0]).toMatchObject({ kind: "elevenlabs.call_initiation_failure", payload: event });
  });

  it("acknowledges post_call_audio without keeping the audio, before or after the transcription, and the call is the same", async () => {
    const { tenant, channel, secret } = await setup();
    const rows = [];
    for (const audioFirst of [true, false]) {
      const event = elevenlabsTranscription({ customer: "+5511987650001" });
      const sendAudio = async () => {
        const res = await postElevenlabs(channel.id, { secret }, audio(event.data.conversation_id));
        expect(res.status, res.text).toBe(200);
        expect(res.body).toEqual({ status: "ignored", reason: AUDIO_IGNORED });
      };
      if (audioFirst) await sendAudio();
      expect((await postElevenlabs(channel.id, { secret }, event)).status).toBe(200);
      if (!audioFirst) await sendAudio();
      const { row } = await storedCall("elevenlabs", event.data.conversation_id);
      if (!row) throw new Error("no call");
      const { id: _i, providerCallId: _p, createdAt: _c, updatedAt: _u, metadata, ...rest } = row;
      const { telephonyCallId: _sid, ...kept } = metadata;
      rows.push({ ...rest, metadata: kept });
    }
    expect(rows[1]).toEqual(rows[0]);
    expect(await voiceCounts(tenant.organizationId, channel.id)).toMatchObject({ calls: 2, callEvents: 2 });
    expect(await webhookStatuses(channel.id)).toEqual(["ignored", "stored", "stored", "ignored"]);
  });

  it("acknowledges an audio webhook of several megabytes unread and stores nothing", async () => {
    const { tenant, channel, secret } = await setup();
    const body = JSON.stringify(audio(unique("conv_"), 3 * 1024 * 1024));
    const res = await call(`/webhooks/elevenlabs/${channel.id}`, {
      method: "POST",
      body,
      headers: { "content-type": "application/json", "elevenlabs-signature": await elevenlabsSignature(secret, body) },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ status: "ignored", reason: AUDIO_IGNORED });
    expect(await voiceCounts(tenant.organizationId, channel.id)).toEqual({ calls: 0, callEvents: 0, webhookEvents: 0 });
  });

  it("refuses any other body over 1 MiB with 413", async () => {
    const { channel, secret } = await setup();
    const event = elevenlabsTranscription();
    const body = JSON.stringify({ ...event, data: { ...event.data, padding: "x".repeat(1024 * 1024) } });
    const res = await postElevenlabs(channel.id, { secret }, body);
    expect(res.status, res.text).toBe(413);
  });

  it("keeps an event type it does not handle as ignored", async () => {
    const { channel, secret } = await setup();
    const res = await postElevenlabs(
      channel.id,
      { secret },
      { type: "voice_removal_notice", event_timestamp: 1, data: {} },
    );
    expect(res.status, res.text).toBe(200);
    expect(await webhookStatuses(channel.id)).toEqual(["ignored"]);
  });

  it.each([
    ["a body that is not JSON", "<xml/>"],
    ["a body without data", { type: "post_call_transcription", event_timestamp: 1 }],
    ["a transcription without conversation_id", { type: "post_call_transcription", data: { agent_id: "a" } }],
    [
      "a transcript that is not a list",
      { type: "post_call_transcription", data: { conversation_id: "c1", transcript: "oi" } },
    ],
  ])("answers %s with 400 problem+json and stores nothing", async (_, payload) => {
    const { tenant, channel, secret } = await setup();
    const res = await postElevenlabs(channel.id, { secret }, payload);
    expect(res.status, res.text).toBe(400);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(await voiceCounts(tenant.organizationId, channel.id)).toEqual({ calls: 0, callEvents: 0, webhookEvents: 0 });
  });

  it("keeps a verified event for an inactive channel as ignored without a call", async () => {
    const { tenant, channel, secret } = await setup();
    const off = await call(`/api/channels/${channel.id}`, {
      method: "PATCH",
      token: tenant.token,
      json: { active: false },
    });
    expect(off.status, off.text).toBe(200);
    const res = await postElevenlabs(channel.id, { secret }, elevenlabsTranscription());
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ status: "ignored", reason: "channel inactive" });
    expect(await voiceCounts(tenant.organizationId, channel.id)).toEqual({ calls: 0, callEvents: 0, webhookEvents: 1 });
  });
});
