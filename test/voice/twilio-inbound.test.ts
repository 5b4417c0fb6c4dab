// POST /voice: an incoming call becomes a call, a contact and call.started before Twilio gets its
// TwiML; the TwiML is read back as XML, verb by verb.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { blockedNumbers, contacts } from "@/db/schema";
import { withDb } from "../support/db";
import { call } from "../support/http";
import { eventsWebhookOnFake, fakeRequests } from "../support/provider";
import {
  CALLER,
  eventsOf,
  incomingCall,
  LINE_NUMBER,
  statusCallback,
  storedCall,
  ticketsWithHistory,
  twimlVerbs,
  voiceCounts,
  voiceLine,
} from "../support/twilio-voice";

/** Weekly hours that are closed right now in São Paulo: one hour, three days from today. */
function closedNow() {
  const weekday = new Intl.DateTimeFormat("en-US", { timeZone: "America/Sao_Paulo", weekday: "short" }).format(
    new Date(),
  );
  const today = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"].indexOf(weekday);
  return { timezone: "America/Sao_Paulo", ranges: [{ day: (today + 3) % 7, start: "09:00", end: "10:00" }] };
}

describe("Twilio Voice: incoming call", () => {
  it("stores the call, its contact and call.started, then greets and enqueues into the workflow with the task's attributes", async () => {
    const line = await voiceLine();
    // The caller already has an open ticket (written without the ninth digit): the task names it.
    const opened = await call("/api/tickets", {
      token: line.tenant.token,
      json: { channelId: line.channel.id, phone: "+551187654321", subject: "Orçamento" },
    });
    expect(opened.status, opened.text).toBe(201);
    const params = incomingCall(line.account);
    const res = await line.post("voice", params);
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/xml");

    const stored = await storedCall(params.CallSid as string);
    expect(stored).toMatchObject({
      organizationId: line.tenant.organizationId,
      channelId: line.channel.id,
      provider: "twilio",
      direction: "inbound",
      status: "ringing",
      fromNumber: CALLER,
      toNumber: LINE_NUMBER,
      metadata: { route: "queue", outOfHours: false, language: "pt-BR" },
    });
    expect(stored?.contactId).toBe(opened.body.contact.id);
    const events = await eventsOf(stored?.id as string);
    expect(events.map((e) => e.kind)).toEqual(["call.started"]);

    const [say, enqueue, ...rest] = twimlVerbs(res.text);
    expect(rest).toEqual([]);
    expect(say).toMatchObject({
      name: "Say",
      attrs: { language: "pt-BR" },
      text: "Olá! Esta ligação pode ser gravada.",
    });
    const base = `http://localhost:8787/webhooks/twilio/${line.channel.id}`;
    expect(enqueue).toMatchObject({
      name: "Enqueue",
      attrs: {
        workflowSid: line.config.workflowSid,
        waitUrl: `${base}/wait`,
        waitUrlMethod: "POST",
        action: `${base}/queue-result`,
        method: "POST",
      },
    });
    const [task] = enqueue?.children ?? [];
    expect(task?.name).toBe("Task");
    expect(JSON.parse(task?.text ?? "{}")).toEqual({
      type: "voice",
      call_id: stored?.id,
      contact_id: opened.body.contact.id,
      channel_id: line.channel.id,
      language: "pt-BR",
      caller: CALLER,
      ticket_id: opened.body.id,
      ticket_number: opened.body.number,
    });
  });

  it("plays the greeting when it is an https URL, in the channel's language", async () => {
    const line = await voiceLine({ greeting: "https://cdn.example.com/aviso-gravacao.mp3", language: "es-MX" });
    const res = await line.post("voice", incomingCall(line.account));
    expect(res.status, res.text).toBe(200);
    const verbs = twimlVerbs(res.text);
    expect(verbs.map((v) => v.name)).toEqual(["Play", "Enqueue"]);
    expect(verbs[0]?.text).toBe("https://cdn.example.com/aviso-gravacao.mp3");
    expect(JSON.parse(verbs[1]?.children[0]?.text ?? "{}")).toMatchObject({ language: "es-MX", ticket_id: null });
  });

  it("rejects a blocked caller however the number is written, creating no contact", async () => {
    const line = await voiceLine();
    await withDb((db) =>
      db.insert(blockedNumbers).values({ organizationId: line.tenant.organizationId, phone: CALLER, reason: "spam" }),
    );
    const params = incomingCall(line.account, { From: "+551187654321" });
    const res = await line.post("voice", params);
    expect(res.status, res.text).toBe(200);
    expect(twimlVerbs(res.text)).toEqual([{ name: "Reject", attrs: { reason: "rejected" }, text: "", children: [] }]);
    const stored = await storedCall(params.CallSid as string);
    expect(stored).toMatchObject({ disconnectionReason: "blocked", contactId: null, metadata: { route: "rejected" } });
    const found = await withDb((db) =>
      db.select().from(contacts).where(eq(contacts.organizationId, line.tenant.organizationId)),
    );
    expect(found).toEqual([]);
    // Its end is no missed call: nobody is to call a blocked number back.
    await line.post("voice-status", statusCallback(line.account, params.CallSid as string, "busy", 1));
    expect(await ticketsWithHistory(line.tenant.organizationId)).toEqual([]);
  });

  it("outside business hours offers voicemail with the recording callback", async () => {
    const line = await voiceLine({ businessHours: closedNow() });
    const params = incomingCall(line.account);
    const res = await line.post("voice", params);
    expect(res.status, res.text).toBe(200);
    const stored = await storedCall(params.CallSid as string);
    expect(stored?.metadata).toMatchObject({ route: "voicemail", outOfHours: true });
    const [greeting, prompt, record, hangup] = twimlVerbs(res.text);
    expect(greeting?.name).toBe("Say");
    expect(prompt).toMatchObject({ name: "Say", text: expect.stringContaining("Deixe sua mensagem") });
    const base = `http://localhost:8787/webhooks/twilio/${line.channel.id}`;
    expect(record).toMatchObject({
      name: "Record",
      attrs: {
        action: `${base}/voicemail-done`,
        playBeep: "true",
        recordingStatusCallback: `${base}/recording-status?call=${stored?.id}&kind=voicemail`,
        recordingStatusCallbackEvent: "in-progress completed absent",
      },
    });
    expect(hangup?.name).toBe("Hangup");
    // The voicemail's own action thanks and hangs up, storing nothing.
    const before = await voiceCounts(line.tenant.organizationId);
    const done = await line.post("voicemail-done", { CallSid: params.CallSid as string, AccountSid: line.account });
    expect(twimlVerbs(done.text).map((v) => v.name)).toEqual(["Say", "Hangup"]);
    expect(await voiceCounts(line.tenant.organizationId)).toEqual(before);
  });

  it("outside business hours dials the failover number, and offers voicemail when it does not answer", async () => {
    const line = await voiceLine({ businessHours: closedNow(), failoverNumber: "+5511933332222" });
    const params = incomingCall(line.account);
    const res = await line.post("voice", params);
    const stored = await storedCall(params.CallSid as string);
    const base = `http://localhost:8787/webhooks/twilio/${line.channel.id}`;
    const [, dial] = twimlVerbs(res.text);
    expect(dial).toMatchObject({
      name: "Dial",
      attrs: {
        action: `${base}/dial-result`,
        callerId: LINE_NUMBER,
        record: "record-from-answer-dual",
        recordingStatusCallback: `${base}/recording-status?call=${stored?.id}&kind=conversation`,
      },
      children: [
        {
          name: "Number",
          text: "+5511933332222",
          attrs: {
            statusCallback: `${base}/voice-status?leg=failover&call=${stored?.id}`,
            statusCallbackEvent: "answered completed",
          },
        },
      ],
    });
    const unanswered = {
      CallSid: params.CallSid as string,
      DialCallStatus: "no-answer",
      DialCallSid: `CA${"7".repeat(32)}`,
    };
    const next = await line.post("dial-result", unanswered);
    expect(next.status, next.text).toBe(200);
    expect(twimlVerbs(next.text).map((v) => v.name)).toEqual(["Say", "Record", "Hangup"]);
    expect((await storedCall(params.CallSid as string))?.metadata).toMatchObject({ route: "voicemail" });
    // Redelivered: the same TwiML, one event.
    const again = await line.post("dial-result", unanswered);
    expect(again.text).toBe(next.text);
    expect((await eventsOf(stored?.id as string)).filter((e) => e.kind === "failover.no-answer")).toHaveLength(1);
  });

  it("without a way to take the call, says goodbye and opens a callback ticket at once", async () => {
    const line = await voiceLine({ businessHours: closedNow(), voicemail: false });
    const params = incomingCall(line.account);
    const res = await line.post("voice", params);
    const verbs = twimlVerbs(res.text);
    expect(verbs.map((v) => v.name)).toEqual(["Say", "Say", "Hangup"]);
    expect(verbs[1]?.text).toContain("fechado");
    const [ticket, ...more] = await ticketsWithHistory(line.tenant.organizationId);
    expect(more).toEqual([]);
    expect(ticket).toMatchObject({ status: "open", channelId: line.channel.id, subject: "Retornar ligação" });
    expect(ticket?.history.map((h) => h.action)).toEqual(["created", "call_missed"]);
    expect(ticket?.history[1]?.changes).toMatchObject({ reason: { after: "out_of_hours" } });
    expect((await storedCall(params.CallSid as string))?.ticketId).toBe(ticket?.id);
  });

  it("answers a retried voice request with the same TwiML, storing the call, contact and call.started once", async () => {
    const line = await voiceLine();
    const params = incomingCall(line.account);
    const first = await line.post("voice", params);
    const counts = await voiceCounts(line.tenant.organizationId);
    const second = await line.post("voice", params);
    expect(second.status, second.text).toBe(200);
    expect(second.text).toBe(first.text);
    expect(await voiceCounts(line.tenant.organizationId)).toEqual(counts);
    expect(counts).toMatchObject({ calls: 1, events: 1, contacts: 1, tickets: 0 });
  });

  it("turns calls away while the channel is switched off, storing nothing", async () => {
    const line = await voiceLine();
    const off = await call(`/api/channels/${line.channel.id}`, {
      method: "PATCH",
      token: line.tenant.token,
      json: { active: false },
    });
    expect(off.status, off.text).toBe(200);
    const res = await line.post("voice", incomingCall(line.account));
    expect(res.status, res.text).toBe(200);
    expect(twimlVerbs(res.text)).toEqual([{ name: "Reject", attrs: { reason: "busy" }, text: "", children: [] }]);
    expect(await voiceCounts(line.tenant.organizationId)).toMatchObject({ calls: 0, events: 0, contacts: 0 });
  });

  it("sends call.started to the organization's events webhook", async () => {
    const line = await voiceLine();
    const { path } = await eventsWebhookOnFake(line.tenant.token, "voice");
    const params = incomingCall(line.account);
    await line.post("voice", params);
    const stored = await storedCall(params.CallSid as string);
    const events = (await fakeRequests(path)).map((r) => JSON.parse(r.body));
    expect(events).toEqual([
      expect.objectContaining({
        type: "call.started",
        data: expect.objectContaining({ callId: stored?.id, direction: "inbound", from: CALLER, to: LINE_NUMBER }),
      }),
    ]);
  });
});
