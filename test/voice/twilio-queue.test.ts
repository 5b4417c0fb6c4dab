// The queue: what callers hear while they wait, and what becomes of them when they leave it —
// bridged to an agent, hung up (abandoned), or out of it to voicemail — with one callback ticket
// per contact whatever order Twilio's callbacks arrive in.
import { describe, expect, it } from "vitest";
import { unique } from "../support/fixtures";
import { createChannel } from "../support/provider";
import { accountSid, postTwilio, twilioInboundParams } from "../support/twilio";
import {
  eventsOf,
  incomingCall,
  jobsNamed,
  type Line,
  recordingCallback,
  sidOf,
  statusCallback,
  storedCall,
  ticketsWithHistory,
  twimlVerbs,
  voiceCounts,
  voiceLine,
} from "../support/twilio-voice";

async function queued(line: Line, overrides: Record<string, string> = {}) {
  const params = incomingCall(line.account, overrides);
  const res = await line.post("voice", params);
  expect(res.status, res.text).toBe(200);
  const callSid = params.CallSid as string;
  return { callSid, callId: (await storedCall(callSid))?.id as string };
}

/** A ticket's history as (action, reason) pairs, the shape compared across orders. */
const summary = async (organizationId: string) =>
  (await ticketsWithHistory(organizationId)).map((t) => ({
    status: t.status,
    subject: t.subject,
    history: t.history.map((h) => [h.action, (h.changes as { reason?: { after: unknown } }).reason?.after ?? null]),
  }));

describe("Twilio Voice: waiting in the queue", () => {
  it("tells the caller their place and plays the hold music, Twilio's own without a waitMusicUrl", async () => {
    const line = await voiceLine();
    const { callSid } = await queued(line);
    const res = await line.post("wait", {
      CallSid: callSid,
      QueuePosition: "3",
      QueueTime: "20",
      CurrentQueueSize: "5",
    });
    expect(res.status, res.text).toBe(200);
    expect(twimlVerbs(res.text)).toEqual([
      {
        name: "Say",
        attrs: { language: "pt-BR" },
        text: "Você é o número 3 da fila. Por favor, aguarde.",
        children: [],
      },
      {
        name: "Play",
        attrs: {},
        text: "https://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3",
        children: [],
      },
    ]);
    const custom = await voiceLine({ waitMusicUrl: "https://cdn.example.com/espera.mp3", language: "en-US" });
    const other = await queued(custom);
    const music = await custom.post("wait", { CallSid: other.callSid });
    expect(twimlVerbs(music.text)).toEqual([
      { name: "Play", attrs: {}, text: "https://cdn.example.com/espera.mp3", children: [] },
    ]);
  });

  it("takes the caller out of the queue once maxWaitSeconds have passed", async () => {
    const line = await voiceLine({ maxWaitSeconds: 120 });
    const { callSid } = await queued(line);
    const waiting = await line.post("wait", { CallSid: callSid, QueuePosition: "1", QueueTime: "119" });
    expect(twimlVerbs(waiting.text).map((v) => v.name)).toEqual(["Say", "Play"]);
    const leaving = await line.post("wait", { CallSid: callSid, QueuePosition: "1", QueueTime: "120" });
    expect(twimlVerbs(leaving.text)).toEqual([{ name: "Leave", attrs: {}, text: "", children: [] }]);
  });
});

describe("Twilio Voice: leaving the queue", () => {
  it("hangs up after a bridged call, and an answered call is no missed call", async () => {
    const line = await voiceLine();
    const { callSid, callId } = await queued(line);
    await line.post("voice-status", statusCallback(line.account, sidOf("CA"), "in-progress", 2), {
      query: { leg: "agent", call: callId },
    });
    const res = await line.post("queue-result", { CallSid: callSid, QueueResult: "bridged", QueueTime: "35" });
    expect(twimlVerbs(res.text)).toEqual([{ name: "Hangup", attrs: {}, text: "", children: [] }]);
    await line.post("voice-status", statusCallback(line.account, callSid, "completed", 3));
    expect(await storedCall(callSid)).toMatchObject({
      status: "completed",
      waitSeconds: 35,
      disconnectionReason: null,
    });
    expect(await ticketsWithHistory(line.tenant.organizationId)).toEqual([]);
  });

  it("calls back an abandoned caller once, whether the queue's hang-up or the call's end arrives first, and twice", async () => {
    const orders = [
      ["queue", "status"],
      ["status", "queue"],
      ["queue", "queue", "status", "status"],
    ] as const;
    const results = [];
    for (const order of orders) {
      const line = await voiceLine();
      const { callSid } = await queued(line);
      for (const step of order) {
        const res =
          step === "queue"
            ? await line.post("queue-result", { CallSid: callSid, QueueResult: "hangup", QueueTime: "40" })
            : await line.post("voice-status", statusCallback(line.account, callSid, "completed", 4));
        expect(res.status, res.text).toBe(200);
      }
      const call = await storedCall(callSid);
      expect(call).toMatchObject({ status: "completed", disconnectionReason: "abandoned", waitSeconds: 40 });
      const tickets = await ticketsWithHistory(line.tenant.organizationId);
      expect(call?.ticketId).toBe(tickets[0]?.id);
      expect(await jobsNamed(line.tenant.organizationId, "ticket.assign")).toHaveLength(1);
      results.push(await summary(line.tenant.organizationId));
    }
    expect(results[0]).toEqual([
      {
        status: "open",
        subject: "Retornar ligação",
        history: [
          ["created", null],
          ["call_missed", "abandoned"],
        ],
      },
    ]);
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
  });

  it("sends a caller the workflow gave up on to voicemail; the voicemail and the missed call land on one ticket in either order", async () => {
    const outcomes = [];
    for (const recordingFirst of [true, false]) {
      const line = await voiceLine();
      const { callSid, callId } = await queued(line);
      const left = await line.post("queue-result", { CallSid: callSid, QueueResult: "leave", QueueTime: "300" });
      const verbs = twimlVerbs(left.text);
      expect(verbs.map((v) => v.name)).toEqual(["Say", "Record", "Hangup"]);
      expect(verbs[1]?.attrs.recordingStatusCallback).toContain(`call=${callId}&kind=voicemail`);
      const recordingSid = sidOf("RE");
      const voicemail = recordingCallback(line.account, callSid, recordingSid, "completed", {
        RecordingSource: "RecordVerb",
        RecordingChannels: "1",
        RecordingDuration: "18",
      });
      const steps = [
        () => line.post("recording-status", voicemail, { query: { call: callId, kind: "voicemail" } }),
        () => line.post("voice-status", statusCallback(line.account, callSid, "completed", 5)),
      ];
      for (const step of recordingFirst ? steps : [...steps].reverse()) expect((await step()).status).toBe(200);
      const call = await storedCall(callSid);
      expect(call).toMatchObject({
        disconnectionReason: "no_agent",
        recordingSid,
        recordingStatus: "completed",
        recordingChannels: 1,
        recordingDurationSeconds: 18,
        metadata: { route: "voicemail", voicemail: true },
      });
      const [ticket] = await ticketsWithHistory(line.tenant.organizationId);
      const voicemailEntry = ticket?.history.find((h) => h.action === "voicemail_received");
      expect(voicemailEntry?.changes).toMatchObject({
        callId: { after: callId },
        recordingSid: { after: recordingSid },
        durationSeconds: { after: 18 },
      });
      outcomes.push((await summary(line.tenant.organizationId)).map((t) => ({ ...t, history: [...t.history].sort() })));
    }
    expect(outcomes[0]).toEqual([
      {
        status: "open",
        subject: "Retornar ligação",
        history: [
          ["call_missed", "no_agent"],
          ["created", null],
          ["voicemail_received", null],
        ],
      },
    ]);
    expect(outcomes[1]).toEqual(outcomes[0]);
  });

  it("puts the callback on the contact's open ticket of another channel instead of opening a second one", async () => {
    const line = await voiceLine();
    const config = { accountSid: accountSid(), authToken: unique("sms"), phoneNumber: "+14155550100" };
    const sms = await createChannel(line.tenant.token, { type: "twilio_sms", config });
    // The customer wrote an SMS first, without the ninth digit: the same contact as the caller.
    const wrote = await postTwilio(
      sms.id,
      "sms",
      config.authToken,
      twilioInboundParams(config.accountSid, { From: "+551187654321" }),
    );
    expect(wrote.status, wrote.text).toBe(200);
    const { callSid } = await queued(line);
    await line.post("queue-result", { CallSid: callSid, QueueResult: "hangup", QueueTime: "12" });
    const [ticket, ...others] = await ticketsWithHistory(line.tenant.organizationId);
    expect(others).toEqual([]);
    expect(ticket).toMatchObject({ channelId: sms.id, status: "open" });
    expect(ticket?.history.map((h) => h.action)).toEqual(["created", "call_missed"]);
    expect((await storedCall(callSid))?.ticketId).toBe(ticket?.id);
    // Nobody is online, so the SMS ticket opened without an assignment job (the drain and the
    // cron's sweep hand it out later); the call adds no assignment of its own either.
    expect(await jobsNamed(line.tenant.organizationId, "ticket.assign")).toHaveLength(0);
  });

  it("opens one callback ticket when two calls of the same contact are missed at the same moment", async () => {
    const line = await voiceLine();
    const calls = await Promise.all([queued(line), queued(line), queued(line)]);
    const results = await Promise.all(
      calls.map(({ callSid }) =>
        line.post("queue-result", { CallSid: callSid, QueueResult: "hangup", QueueTime: "9" }),
      ),
    );
    for (const res of results) expect(res.status, res.text).toBe(200);
    const [ticket, ...others] = await ticketsWithHistory(line.tenant.organizationId);
    expect(others).toEqual([]);
    expect(ticket?.history.map((h) => h.action).sort()).toEqual([
      "call_missed",
      "call_missed",
      "call_missed",
      "created",
    ]);
    for (const { callSid } of calls) expect((await storedCall(callSid))?.ticketId).toBe(ticket?.id);
  });

  it("counts a full queue or an error like the workflow giving up: on to voicemail", async () => {
    const line = await voiceLine({ failoverNumber: "+5511933332222" });
    for (const result of ["queue-full", "error", "system-error", "redirected"]) {
      const { callSid } = await queued(line);
      const res = await line.post("queue-result", { CallSid: callSid, QueueResult: result });
      expect(
        twimlVerbs(res.text).map((v) => v.name),
        result,
      ).toEqual(["Dial"]);
      expect((await storedCall(callSid))?.metadata, result).toMatchObject({ route: "failover" });
    }
    const { callSid, callId } = await queued(line);
    const counts = await voiceCounts(line.tenant.organizationId);
    const once = { CallSid: callSid, QueueResult: "leave", QueueTime: "61" };
    const first = await line.post("queue-result", once);
    const again = await line.post("queue-result", once);
    expect(again.text).toBe(first.text);
    expect((await voiceCounts(line.tenant.organizationId)).events).toBe(counts.events + 1);
    expect((await eventsOf(callId)).map((e) => e.kind)).toEqual(["call.started", "queue.leave"]);
  });
});
