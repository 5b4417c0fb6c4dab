// Recording callbacks (the agent conversation on two channels, voicemails) and the
// recording.transcribe job: the transcript and a summary on the call, where AI is configured.
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { aiUsage } from "@/db/schema";
import { modelScope } from "../support/ai";
import { withDb } from "../support/db";
import { chatCompletion, DEFAULT_TRANSCRIPT } from "../support/openai-fake";
import { fakeRequests, scriptFake } from "../support/provider";
import {
  eventsOf,
  incomingCall,
  jobsNamed,
  type Line,
  recordingCallback,
  recordingUrl,
  sidOf,
  statusCallback,
  storedCall,
  ticketsWithHistory,
  voiceLine,
} from "../support/twilio-voice";

const MP3 = `ID3${"\u0003".repeat(3)}fake-mp3-frames-${"x".repeat(64)}`;

async function inCall(line: Line) {
  const params = incomingCall(line.account);
  await line.post("voice", params);
  const callSid = params.CallSid as string;
  return { callSid, callId: (await storedCall(callSid))?.id as string };
}

/** The model scope's chat completions answer one call summary. */
async function scriptSummary(model: ReturnType<typeof modelScope>, summary: string) {
  const path = `${new URL(model.baseUrl).pathname}/chat/completions`;
  await scriptFake(path, [{ status: 200, body: chatCompletion("gpt-4o-mini", JSON.stringify({ summary })) }]);
  return path;
}

describe("Twilio Voice: recordings", () => {
  it("keeps a call's recording moving forward: a late in-progress never undoes completed, redeliveries change nothing", async () => {
    const line = await voiceLine();
    const { callSid, callId } = await inCall(line);
    const recordingSid = sidOf("RE");
    const completed = recordingCallback(line.account, callSid, recordingSid, "completed");
    const started = recordingCallback(line.account, callSid, recordingSid, "in-progress");
    const query = { call: callId, kind: "conversation" };
    for (const params of [completed, started, completed, started]) {
      const res = await line.post("recording-status", params, { query });
      expect(res.status, res.text).toBe(200);
    }
    expect(await storedCall(callSid)).toMatchObject({
      recordingSid,
      recordingStatus: "completed",
      recordingUrl: recordingUrl(line.account, recordingSid),
      recordingDurationSeconds: 42,
      recordingChannels: 2,
    });
    const kinds = (await eventsOf(callId)).map((e) => e.kind).filter((k) => k.startsWith("recording."));
    expect(kinds).toEqual(["recording.completed", "recording.in-progress"]);
    // A conversation is no voicemail: no callback for it.
    expect(await ticketsWithHistory(line.tenant.organizationId)).toEqual([]);
    // Without model access nothing is queued.
    expect(await jobsNamed(line.tenant.organizationId, "recording.transcribe")).toEqual([]);
  });

  it("finds the call by its CallSid when the callback URL names none", async () => {
    const line = await voiceLine();
    const { callSid } = await inCall(line);
    const recordingSid = sidOf("RE");
    await line.post("recording-status", recordingCallback(line.account, callSid, recordingSid, "absent"));
    expect(await storedCall(callSid)).toMatchObject({ recordingSid, recordingStatus: "absent" });
  });

  it("transcribes and summarizes a completed recording once, downloading it with the channel's credentials", async () => {
    const model = modelScope();
    const line = await voiceLine();
    const { callSid, callId } = await inCall(line);
    const recordingSid = sidOf("RE");
    const audioPath = `${new URL(recordingUrl(line.account, recordingSid)).pathname}.mp3`;
    await scriptFake(audioPath, [{ status: 200, body: MP3, headers: { "content-type": "audio/mpeg" } }]);
    const chatPath = await scriptSummary(model, "Maria quer o preço do modelo X; retornar com orçamento.");
    const completed = recordingCallback(line.account, callSid, recordingSid, "completed");
    for (let i = 0; i < 2; i++) {
      const res = await line.post("recording-status", completed, { query: { call: callId }, env: model.env });
      expect(res.status, res.text).toBe(200);
    }
    const stored = await storedCall(callSid);
    expect(stored).toMatchObject({
      transcript: DEFAULT_TRANSCRIPT.text,
      summary: "Maria quer o preço do modelo X; retornar com orçamento.",
    });
    const downloads = await fakeRequests(audioPath);
    expect(downloads).toHaveLength(1);
    expect(downloads[0]?.headers.authorization).toBe(`Basic ${btoa(`${line.account}:${line.authToken}`)}`);
    const transcriptionPath = `${new URL(model.baseUrl).pathname}/audio/transcriptions`;
    expect(await fakeRequests(transcriptionPath)).toHaveLength(1);
    const chats = await fakeRequests(chatPath);
    expect(chats).toHaveLength(1);
    expect(chats[0]?.body).toContain(DEFAULT_TRANSCRIPT.text);
    expect(await jobsNamed(line.tenant.organizationId, "recording.transcribe")).toMatchObject([{ status: "done" }]);
    const usage = await withDb((db) =>
      db
        .select()
        .from(aiUsage)
        .where(and(eq(aiUsage.organizationId, line.tenant.organizationId))),
    );
    expect(usage.map((u) => u.purpose).sort()).toEqual(["insights", "transcribe"]);
  });

  it("does not download a recording longer than the transcription limit", async () => {
    const model = modelScope();
    const line = await voiceLine();
    const { callSid, callId } = await inCall(line);
    const recordingSid = sidOf("RE");
    const long = recordingCallback(line.account, callSid, recordingSid, "completed", { RecordingDuration: "900" });
    await line.post("recording-status", long, {
      query: { call: callId },
      env: { ...model.env, TRANSCRIBE_MAX_SECONDS: "600" },
    });
    const stored = await storedCall(callSid);
    expect(stored?.transcript).toBeNull();
    expect(stored?.metadata).toMatchObject({ transcription: { status: "too_long" } });
    expect(await fakeRequests(`${new URL(recordingUrl(line.account, recordingSid)).pathname}.mp3`)).toEqual([]);
  });

  it("leaves no voicemail on the ticket when the caller recorded nothing; the missed call is still called back", async () => {
    const line = await voiceLine({ workflowSid: undefined });
    const { callSid, callId } = await inCall(line);
    expect((await storedCall(callSid))?.metadata).toMatchObject({ route: "voicemail", outOfHours: false });
    await line.post(
      "recording-status",
      recordingCallback(line.account, callSid, sidOf("RE"), "absent", { RecordingSource: "RecordVerb" }),
      {
        query: { call: callId, kind: "voicemail" },
      },
    );
    await line.post("voice-status", statusCallback(line.account, callSid, "completed", 2));
    const [ticket] = await ticketsWithHistory(line.tenant.organizationId);
    expect(
      ticket?.history.map((h) => [h.action, (h.changes as { reason?: { after: unknown } }).reason?.after]),
    ).toEqual([
      ["created", undefined],
      ["call_missed", "no_agent"],
    ]);
  });
});
