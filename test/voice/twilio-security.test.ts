// Every URL of a twilio_voice channel: Twilio's signature over PUBLIC_URL + path + query, checked
// before anything is read or stored; a body missing what the route needs is a 400 that stores nothing.
import { describe, expect, it } from "vitest";
import type { VoiceRoute } from "@/voice/twilio/urls";
import { createChannel } from "../support/provider";
import { twilioSignature } from "../support/twilio";
import {
  assignmentCallback,
  incomingCall,
  type Line,
  postVoice,
  recordingCallback,
  sidOf,
  statusCallback,
  storedCall,
  voiceCounts,
  voiceLine,
} from "../support/twilio-voice";

type Case = {
  route: VoiceRoute;
  /** A request the route accepts; `stores` when it writes something (the positive control). */
  valid: (
    line: Line,
    callSid: string,
    callId: string,
  ) => { params: Record<string, string>; query?: Record<string, string> };
  stores: boolean;
  /** The same request missing what the route cannot work without, and the field the 400 names. */
  malformed: (params: Record<string, string>) => Record<string, string>;
  names: string;
};

const without = (params: Record<string, string>, key: string) => {
  const { [key]: _, ...rest } = params;
  return rest;
};

const cases: Case[] = [
  {
    route: "voice",
    valid: (line) => ({ params: incomingCall(line.account) }),
    stores: true,
    malformed: (p) => without(p, "CallSid"),
    names: "CallSid",
  },
  {
    route: "wait",
    valid: (_line, callSid) => ({ params: { CallSid: callSid, QueuePosition: "2", QueueTime: "30" } }),
    stores: false,
    malformed: (p) => ({ ...p, CallSid: "not-a-sid" }),
    names: "CallSid",
  },
  {
    route: "queue-result",
    valid: (_line, callSid) => ({ params: { CallSid: callSid, QueueResult: "hangup", QueueTime: "40" } }),
    stores: true,
    malformed: (p) => without(p, "QueueResult"),
    names: "QueueResult",
  },
  {
    route: "dial-result",
    valid: (_line, callSid) => ({ params: { CallSid: callSid, DialCallStatus: "busy" } }),
    stores: true,
    malformed: (p) => without(p, "DialCallStatus"),
    names: "DialCallStatus",
  },
  {
    route: "voicemail-done",
    valid: (_line, callSid) => ({ params: { CallSid: callSid } }),
    stores: false,
    malformed: (p) => without(p, "CallSid"),
    names: "CallSid",
  },
  {
    route: "assignment",
    valid: (line, _callSid, callId) => ({ params: assignmentCallback(line, { call_id: callId, type: "voice" }) }),
    stores: true,
    malformed: (p) => ({ ...p, TaskAttributes: "{not json" }),
    names: "TaskAttributes",
  },
  {
    route: "agent-answer",
    valid: (_line, _callSid, callId) => ({
      params: { CallSid: sidOf("CA") },
      query: { call: callId, reservation: sidOf("WR") },
    }),
    stores: true,
    malformed: (p) => without(p, "CallSid"),
    names: "CallSid",
  },
  {
    route: "voice-status",
    valid: (line, callSid) => ({ params: statusCallback(line.account, callSid, "in-progress", 1) }),
    stores: true,
    malformed: (p) => without(p, "CallStatus"),
    names: "CallStatus",
  },
  {
    route: "recording-status",
    valid: (line, callSid) => ({ params: recordingCallback(line.account, callSid, sidOf("RE"), "in-progress") }),
    stores: true,
    malformed: (p) => ({ ...p, RecordingUrl: "not a url" }),
    names: "RecordingUrl",
  },
];

/** A line with one call in its queue, and the organization's counts after it. */
async function withCall() {
  const line = await voiceLine();
  const incoming = incomingCall(line.account);
  const res = await line.post("voice", incoming);
  expect(res.status, res.text).toBe(200);
  const callSid = incoming.CallSid as string;
  const stored = await storedCall(callSid);
  return { line, callSid, callId: stored?.id as string };
}

describe.each(cases)("Twilio Voice /$route", ({ route, valid, stores, malformed, names }) => {
  it("refuses a bad, missing or misplaced signature with 401 and stores nothing; the same request signed is taken", async () => {
    const { line, callSid, callId } = await withCall();
    const { params, query } = valid(line, callSid, callId);
    const before = await voiceCounts(line.tenant.organizationId);
    const path = `http://localhost:8787/webhooks/twilio/${line.channel.id}/${route}`;
    const refusals = [
      line.post(route, params, { query, signature: await twilioSignature("another-token", path, params) }),
      line.post(route, params, { query, signature: null }),
      // Signed for the URL without its query: the query is part of what Twilio signs.
      query
        ? line.post(route, params, { query, signedUrl: path })
        : line.post(route, params, { signedUrl: `${path}x` }),
      line.post(
        route,
        { ...params, From: "+5511911112222" },
        { query, signature: await twilioSignature(line.authToken, path, params) },
      ),
    ];
    for (const res of await Promise.all(refusals)) {
      expect(res.status, res.text).toBe(401);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
    }
    expect(await voiceCounts(line.tenant.organizationId)).toEqual(before);

    const accepted = await line.post(route, params, { query });
    expect(accepted.status, accepted.text).toBe(200);
    const after = await voiceCounts(line.tenant.organizationId);
    if (stores) expect(after).not.toEqual(before);
    else expect(after).toEqual(before);
  });

  it(`answers a body without a usable ${names} with 400 problem+json naming it, storing nothing`, async () => {
    const { line, callSid, callId } = await withCall();
    const { params, query } = valid(line, callSid, callId);
    const before = await voiceCounts(line.tenant.organizationId);
    const res = await line.post(route, malformed(params), { query });
    expect(res.status, res.text).toBe(400);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(res.body.detail).toContain(names);
    expect(await voiceCounts(line.tenant.organizationId)).toEqual(before);
  });

  it("answers 404 for a channel that does not exist or is not a voice line", async () => {
    const { line, callSid, callId } = await withCall();
    const { params, query } = valid(line, callSid, callId);
    const missing = await postVoice(crypto.randomUUID(), route, line.authToken, params, { query });
    expect(missing.status, missing.text).toBe(404);
    const config = { accountSid: line.account, authToken: line.authToken, phoneNumber: "+14155550100" };
    const sms = await createChannel(line.tenant.token, { type: "twilio_sms", config });
    const notVoice = await postVoice(sms.id, route, line.authToken, params, { query });
    expect(notVoice.status, notVoice.text).toBe(404);
  });
});

describe("Twilio Voice across organizations", () => {
  it("refuses a signed request that names another organization's call, writing nothing into it", async () => {
    const { line, callSid } = await withCall();
    const before = await storedCall(callSid);
    const other = await voiceLine();
    const voice = await other.post("voice", incomingCall(other.account, { CallSid: callSid, From: "+5521977776666" }));
    expect(voice.status, voice.text).toBe(409);
    const status = await other.post("voice-status", statusCallback(other.account, callSid, "completed", 9));
    expect(status.status, status.text).toBe(409);
    expect(await storedCall(callSid)).toEqual(before);
    expect(await voiceCounts(other.tenant.organizationId)).toMatchObject({
      calls: 0,
      events: 0,
      contacts: 0,
      tickets: 0,
    });
    expect(before?.organizationId).toBe(line.tenant.organizationId);
  });
});
