// TaskRouter's assignment callback and the agent's leg: the instruction (dequeue, or call with a
// whisper), who answered and when, the dual-channel recording through the Calls API, and a ring
// nobody answered sending the task back to the workflow through TaskRouter's API.
import { describe, expect, it } from "vitest";
import { createMember, unique } from "../support/fixtures";
import { call } from "../support/http";
import { fakeRequests, scriptFake } from "../support/provider";
import {
  assignmentCallback,
  eventsOf,
  incomingCall,
  LINE_NUMBER,
  type Line,
  sidOf,
  statusCallback,
  storedCall,
  twimlVerbs,
  voiceLine,
} from "../support/twilio-voice";

const POST_WORK = `WA${"1".repeat(32)}`;
const NO_ANSWER = `WA${"2".repeat(32)}`;

async function assigned(line: Line, options: { name?: string; email?: string } = {}) {
  if (options.name) {
    const opened = await call("/api/tickets", {
      token: line.tenant.token,
      json: { channelId: line.channel.id, phone: "+5511987654321", name: options.name },
    });
    expect(opened.status, opened.text).toBe(201);
  }
  const incoming = incomingCall(line.account);
  await line.post("voice", incoming);
  const callSid = incoming.CallSid as string;
  const stored = await storedCall(callSid);
  const worker = { contact_uri: "+5511955554444", email: options.email ?? "nobody@example.com", friendly_name: "Ana" };
  // What TaskRouter sends: our attributes plus the call's own (call_sid, from, to...).
  const params = assignmentCallback(line, { call_id: stored?.id, call_sid: callSid, from: incoming.From }, worker);
  const res = await line.post("assignment", params);
  expect(res.status, res.text).toBe(200);
  expect(res.headers.get("content-type")).toContain("application/json");
  return { callSid, callId: stored?.id as string, params, instruction: res.body, text: res.text };
}

/** The query of a URL Switchboard handed Twilio, to post back to it as Twilio would. */
const queryOf = (url: string) => Object.fromEntries(new URL(url).searchParams);

const recordingsPath = (line: Line, callSid: string) =>
  `/twilio/2010-04-01/Accounts/${line.account}/Calls/${callSid}/Recordings.json`;

describe("Twilio Voice: TaskRouter assignment", () => {
  it("dequeues the caller to the worker's contact_uri with the post-work activity and the agent leg's status callback", async () => {
    const line = await voiceLine({ postWorkActivitySid: POST_WORK, agentRingSeconds: 25 });
    const agent = await createMember(line.tenant, "agent", "Ana");
    const { callId, params, instruction } = await assigned(line, { email: agent.email.toUpperCase() });
    const base = `http://localhost:8787/webhooks/twilio/${line.channel.id}`;
    expect(instruction).toEqual({
      instruction: "dequeue",
      to: "+5511955554444",
      from: LINE_NUMBER,
      post_work_activity_sid: POST_WORK,
      status_callback_url: `${base}/voice-status?${new URLSearchParams({
        leg: "agent",
        call: callId,
        worker: params.WorkerSid as string,
        reservation: params.ReservationSid as string,
        task: params.TaskSid as string,
        workspace: params.WorkspaceSid as string,
        agent: agent.userId,
      })}`,
      status_callback_events: "initiated,ringing,answered,completed",
      timeout: 25,
    });
    const [assignment] = (await eventsOf(callId)).filter((e) => e.kind === "assignment");
    expect(assignment?.payload).toMatchObject({
      workerSid: params.WorkerSid,
      workerName: "Ana",
      agentId: agent.userId,
    });
  });

  it("answers a redelivered assignment with the same instruction and records it once", async () => {
    const line = await voiceLine();
    const { callId, params, text } = await assigned(line);
    const again = await line.post("assignment", params);
    expect(again.text).toBe(text);
    expect((await eventsOf(callId)).filter((e) => e.kind === "assignment")).toHaveLength(1);
  });

  it("leaves a task that is not one of the line's calls to others", async () => {
    const line = await voiceLine();
    const res = await line.post("assignment", assignmentCallback(line, { call_sid: sidOf("CA"), type: "chat" }));
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({});
  });

  it("records who answered and when, and starts one dual-channel recording through the Calls API", async () => {
    const line = await voiceLine();
    const agent = await createMember(line.tenant, "agent", "Ana");
    const { callSid, callId, instruction } = await assigned(line, { email: agent.email });
    const recordingSid = sidOf("RE");
    await scriptFake(recordingsPath(line, callSid), [
      { status: 200, body: { recordings: [], end: 0, page: 0 } },
      { status: 201, body: { sid: recordingSid, status: "in-progress", channels: 2 } },
    ]);
    const leg = sidOf("CA");
    const query = queryOf(instruction.status_callback_url);
    for (const [status, sequence] of [
      ["initiated", 0],
      ["ringing", 1],
      ["in-progress", 2],
      ["in-progress", 2],
    ] as const) {
      const res = await line.post("voice-status", statusCallback(line.account, leg, status, sequence), { query });
      expect(res.status, res.text).toBe(200);
    }
    const stored = await storedCall(callSid);
    expect(stored).toMatchObject({ agentId: agent.userId, recordingSid, recordingChannels: 2, status: "ringing" });
    expect(stored?.answeredAt).toBeInstanceOf(Date);
    const requests = await fakeRequests(recordingsPath(line, callSid));
    expect(requests.map((r) => r.method)).toEqual(["GET", "POST"]);
    const basic = `Basic ${btoa(`${line.account}:${line.authToken}`)}`;
    expect(requests.every((r) => r.headers.authorization === basic)).toBe(true);
    const form = new URLSearchParams(requests[1]?.body);
    expect(form.get("RecordingChannels")).toBe("dual");
    expect(form.get("RecordingStatusCallback")).toBe(
      `http://localhost:8787/webhooks/twilio/${line.channel.id}/recording-status?call=${callId}&kind=conversation`,
    );
    expect(form.getAll("RecordingStatusCallbackEvent")).toEqual(["in-progress", "completed", "absent"]);
    const kinds = (await eventsOf(callId)).map((e) => e.kind);
    expect(kinds.filter((k) => k.startsWith("agent."))).toEqual(["agent.queued", "agent.ringing", "agent.in-progress"]);
    expect(kinds).toContain("recording.started");
  });

  it("adopts a recording already running instead of starting a second one", async () => {
    const line = await voiceLine();
    const { callSid, instruction } = await assigned(line);
    const running = sidOf("RE");
    await scriptFake(recordingsPath(line, callSid), [
      { status: 200, body: { recordings: [{ sid: running, status: "in-progress" }] } },
    ]);
    await line.post("voice-status", statusCallback(line.account, sidOf("CA"), "in-progress", 2), {
      query: queryOf(instruction.status_callback_url),
    });
    expect((await fakeRequests(recordingsPath(line, callSid))).map((r) => r.method)).toEqual(["GET"]);
    expect(await storedCall(callSid)).toMatchObject({ recordingSid: running });
  });

  it("sends the task back to the workflow when the agent does not answer: the reservation is rejected once", async () => {
    const line = await voiceLine({ noAnswerActivitySid: NO_ANSWER });
    const { callSid, params, instruction } = await assigned(line);
    const query = queryOf(instruction.status_callback_url);
    const leg = sidOf("CA");
    for (const sequence of [2, 2]) {
      await line.post("voice-status", statusCallback(line.account, leg, "no-answer", sequence), { query });
    }
    const path = `/taskrouter/v1/Workspaces/${params.WorkspaceSid}/Tasks/${params.TaskSid}/Reservations/${params.ReservationSid}`;
    const requests = await fakeRequests(path);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.method).toBe("POST");
    expect(requests[0]?.headers.authorization).toBe(`Basic ${btoa(`${line.account}:${line.authToken}`)}`);
    expect(Object.fromEntries(new URLSearchParams(requests[0]?.body))).toEqual({
      ReservationStatus: "rejected",
      WorkerActivitySid: NO_ANSWER,
    });
    const stored = await storedCall(callSid);
    expect(stored?.answeredAt).toBeNull();
    expect(stored?.agentId).toBeNull();
  });

  it("with the whisper on, rings the worker with the call instruction; the agent hears the caller and ticket, then the bridge is recorded on two channels", async () => {
    const line = await voiceLine({ whisper: true, postWorkActivitySid: POST_WORK });
    const name = unique("Maria ");
    const { callSid, callId, params, instruction } = await assigned(line, { name });
    const base = `http://localhost:8787/webhooks/twilio/${line.channel.id}`;
    expect(instruction).toMatchObject({
      instruction: "call",
      to: "+5511955554444",
      from: LINE_NUMBER,
      url: expect.stringMatching(new RegExp(`^${base}/agent-answer\\?`)),
      status_callback_url: expect.stringMatching(new RegExp(`^${base}/voice-status\\?leg=agent&`)),
      timeout: 20,
    });
    const answer = await line.post(
      "agent-answer",
      { CallSid: sidOf("CA"), CallStatus: "in-progress" },
      {
        query: queryOf(instruction.url),
      },
    );
    expect(answer.status, answer.text).toBe(200);
    const tickets = await call(`/api/tickets?channelId=${line.channel.id}`, { token: line.tenant.token });
    const [whisper, dial] = twimlVerbs(answer.text);
    expect(whisper).toEqual({
      name: "Say",
      attrs: { language: "pt-BR" },
      text: `Ligação de ${name}, ticket ${tickets.body.data[0].number}.`,
      children: [],
    });
    expect(dial).toMatchObject({
      name: "Dial",
      attrs: {
        record: "record-from-answer-dual",
        recordingStatusCallback: `${base}/recording-status?call=${callId}&kind=conversation`,
      },
      children: [{ name: "Queue", attrs: { reservationSid: params.ReservationSid, postWorkActivitySid: POST_WORK } }],
    });
    expect((await storedCall(callSid))?.answeredAt).toBeInstanceOf(Date);
    // The agent's leg records itself: no recording is started through the Calls API.
    await line.post("voice-status", statusCallback(line.account, sidOf("CA"), "completed", 1), {
      query: queryOf(instruction.status_callback_url),
    });
    expect(await fakeRequests(recordingsPath(line, callSid))).toEqual([]);
  });

  it("whispers an unknown caller's number digit by digit", async () => {
    const line = await voiceLine({ whisper: true, language: "en-US" });
    const { instruction } = await assigned(line);
    const answer = await line.post("agent-answer", { CallSid: sidOf("CA") }, { query: queryOf(instruction.url) });
    expect(twimlVerbs(answer.text)[0]?.text).toBe("Call from 5 5 1 1 9 8 7 6 5 4 3 2 1.");
  });
});
