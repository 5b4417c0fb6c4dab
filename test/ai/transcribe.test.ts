// Voice notes through the real entry points: each provider's webhook in, message.transcribe
// downloading from the provider fake with the channel's credentials, the real openai SDK against
// the model fake's /audio/transcriptions, the transcript in the API, then the bot's reply.
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { messages, outbox } from "@/db/schema";
import { botMessages, usageRows } from "../support/ai";
import { withDb } from "../support/db";
import { call, runScheduled } from "../support/http";
import { fakeRequests } from "../support/provider";
import { makeDue } from "../support/scenario";
import { AUDIO, audioMessages, providers, transcribeJobs, voiceChannel } from "../support/voice";

const outboundCount = (organizationId: string) =>
  withDb(
    async (db) =>
      (
        await db
          .select({ id: messages.id })
          .from(messages)
          .where(and(eq(messages.organizationId, organizationId), eq(messages.direction, "outbound")))
      ).length,
  );

type History = { action: string; actorType: string; changes: Record<string, { before: unknown; after: unknown }> };

const messagesOf = async (token: string, ticketId: string) =>
  (await call(`/api/tickets/${ticketId}/messages?order=asc`, { token })).body.data as {
    type: string;
    transcript: string | null;
    transcriptStatus: string | null;
    senderType: string;
    text: string | null;
  }[];

const historyOf = async (token: string, ticketId: string) =>
  (await call(`/api/tickets/${ticketId}`, { token })).body.history as History[];

describe.each(providers)("a voice note on %s", (provider) => {
  it("is downloaded with the channel's credentials, transcribed once, shown in the API, and answered by the bot from its transcript", async () => {
    const voice = await voiceChannel(provider);
    const words = `Oi, aqui é a Maria (${provider}), quanto custa o modelo X?`;
    await voice.scriptTranscripts([{ text: words, seconds: 12.5 }]);
    await voice.model.script([
      { reply: "O modelo X custa R$ 100.", usage: { prompt_tokens: 210, completion_tokens: 20 } },
    ]);
    const res = await voice.post({ env: voice.env });
    expect(res.status, res.text).toBe(200);

    const file = await fakeRequests(voice.filePrefix);
    const lookup = voice.lookupPrefix ? await fakeRequests(voice.lookupPrefix) : [];
    voice.credentials(file, lookup);
    expect(voice.credentialFailures).toEqual([]);

    const uploads = await fakeRequests(voice.transcriptionPath);
    expect(uploads).toHaveLength(1);
    expect(uploads[0]?.headers.authorization).toBe("Bearer sk-test-deployment");
    expect(uploads[0]?.headers["content-type"]).toContain("multipart/form-data");
    expect(uploads[0]?.body).toContain(AUDIO);
    expect(uploads[0]?.body).toMatch(/name="model"\r\n\r\nwhisper-1/);

    const ticketId = await voice.ticketId();
    const shown = await messagesOf(voice.tenant.token, ticketId);
    expect(shown[0]).toMatchObject({ type: "audio", transcript: words, transcriptStatus: "done" });

    const requests = await voice.model.requests();
    expect(requests).toHaveLength(1);
    expect(requests[0]?.messages.at(-1)).toEqual({ role: "user", content: `[voice note] ${words}` });
    expect((await botMessages(ticketId)).map((m) => m.body)).toEqual(["O modelo X custa R$ 100."]);
    expect((await fakeRequests(voice.sentPrefix)).length).toBeGreaterThanOrEqual(1);

    const usage = await usageRows(voice.tenant.organizationId);
    expect(
      usage
        .map((u) => [u.purpose, u.model, u.promptTokens, u.completionTokens, u.audioSeconds, u.costUsd])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    ).toEqual([
      ["reply", "gpt-4o-mini", 210, 20, null, 0.0000435],
      // whisper-1 at $0.006 a minute: 12.5 s.
      ["transcribe", "whisper-1", 0, 0, 12.5, 0.00125],
    ]);
  });
});

describe("message.transcribe", () => {
  it("never transcribes a voice note twice: a redelivered job finds the transcript stored", async () => {
    const voice = await voiceChannel("whatsapp_zapi", { agent: false });
    const first = await voice.text("bom dia", voice.env);
    expect(first.status, first.text).toBe(200);
    // The ticket is open now: the voice note takes ingest's transactional path, not the fast path.
    expect((await voice.post({ env: voice.env })).status).toBe(200);
    const [audio] = await audioMessages(voice.tenant.organizationId);
    expect(audio).toMatchObject({ transcriptStatus: "done", transcript: "Olá, queria saber o preço do modelo X." });
    expect(await fakeRequests(voice.transcriptionPath)).toHaveLength(1);

    // The job's acknowledgement was lost: the cron re-drives it, and it finds the transcript stored.
    await withDb((db) =>
      db
        .update(outbox)
        .set({ status: "failed", nextAttemptAt: new Date(Date.now() - 1000) })
        .where(and(eq(outbox.organizationId, voice.tenant.organizationId), eq(outbox.name, "message.transcribe"))),
    );
    await makeDue(voice.tenant.organizationId);
    await runScheduled({ env: voice.env });
    const jobs = await transcribeJobs(voice.tenant.organizationId);
    expect(jobs.map((j) => j.status)).toEqual(["done"]);
    expect(await fakeRequests(voice.transcriptionPath)).toHaveLength(1);
    expect((await usageRows(voice.tenant.organizationId)).filter((u) => u.purpose === "transcribe")).toHaveLength(1);
    // No agent on the channel: a transcript for the people, no reply (and no reply call billed).
    expect((await usageRows(voice.tenant.organizationId)).filter((u) => u.purpose === "reply")).toHaveLength(0);
    expect(await outboundCount(voice.tenant.organizationId)).toBe(0);
  });
});

describe("voice notes that cannot be transcribed", () => {
  it("over the size limit: no model call, a history entry, and the bot hands off with its usual words", async () => {
    const voice = await voiceChannel("whatsapp_meta", { queue: true });
    const env = { ...voice.env, TRANSCRIBE_MAX_BYTES: 32 };
    const res = await voice.post({ env });
    expect(res.status, res.text).toBe(200);
    const ticketId = await voice.ticketId();
    // Meta stated 60 bytes for the media: the file itself is never fetched.
    expect(await fakeRequests(voice.filePrefix)).toHaveLength(0);
    expect(await fakeRequests(voice.transcriptionPath)).toHaveLength(0);
    expect(await voice.model.requests()).toHaveLength(0);
    const [audio] = await audioMessages(voice.tenant.organizationId);
    expect(audio).toMatchObject({ transcriptStatus: "too_large", transcript: null });
    const history = await historyOf(voice.tenant.token, ticketId);
    expect(history.find((h) => h.action === "transcription_failed")).toMatchObject({
      actorType: "system",
      changes: {
        reason: { after: expect.stringContaining("too_large: the media has 60 bytes, over the 32-byte limit") },
      },
    });
    expect(history.find((h) => h.action === "handed_off")).toMatchObject({
      changes: { reason: { after: "transcription_failed" }, queueId: { after: voice.queueId } },
    });
    // The customer hears that a person will continue, never an error.
    const sent = (await botMessages(ticketId)).map((m) => m.body ?? "");
    expect(sent).toHaveLength(1);
    expect(sent[0]).not.toMatch(/error|erro|limit/i);
    expect(await usageRows(voice.tenant.organizationId)).toEqual([]);
  });

  it("over the size limit while reading a file whose size was not stated: the download stops, nothing is sent to the model", async () => {
    const voice = await voiceChannel("whatsapp_zapi", { agent: false });
    const res = await voice.post({ env: { ...voice.env, TRANSCRIBE_MAX_BYTES: 32 } });
    expect(res.status, res.text).toBe(200);
    expect(await fakeRequests(voice.filePrefix)).toHaveLength(1);
    expect(await fakeRequests(voice.transcriptionPath)).toHaveLength(0);
    const [audio] = await audioMessages(voice.tenant.organizationId);
    expect(audio?.transcriptStatus).toBe("too_large");
    const history = await historyOf(voice.tenant.token, await voice.ticketId());
    expect(history.map((h) => h.action)).toContain("transcription_failed");
  });

  it("over the duration limit the provider reports: nothing is downloaded", async () => {
    const voice = await voiceChannel("telegram", { agent: false });
    const res = await voice.post({ seconds: 900, env: { ...voice.env, TRANSCRIBE_MAX_SECONDS: 600 } });
    expect(res.status, res.text).toBe(200);
    expect(await fakeRequests(voice.lookupPrefix ?? "")).toHaveLength(0);
    expect(await fakeRequests(voice.transcriptionPath)).toHaveLength(0);
    const [audio] = await audioMessages(voice.tenant.organizationId);
    expect(audio?.transcriptStatus).toBe("too_long");
    const history = await historyOf(voice.tenant.token, await voice.ticketId());
    expect(history.find((h) => h.action === "transcription_failed")?.changes.reason?.after).toBe(
      "too_long: 900 s, over the 600-second limit",
    );
  });

  it("a download refused for good (404): history entry and hand-off, no model call", async () => {
    const voice = await voiceChannel("twilio_sms", {
      file: [{ status: 404, body: { code: 20404, message: "The requested resource was not found", status: 404 } }],
    });
    const res = await voice.post({ env: voice.env });
    expect(res.status, res.text).toBe(200);
    const ticketId = await voice.ticketId();
    expect(await fakeRequests(voice.transcriptionPath)).toHaveLength(0);
    expect(await voice.model.requests()).toHaveLength(0);
    const [audio] = await audioMessages(voice.tenant.organizationId);
    expect(audio?.transcriptStatus).toBe("failed");
    const history = await historyOf(voice.tenant.token, ticketId);
    expect(history.find((h) => h.action === "transcription_failed")?.changes.reason?.after).toMatch(
      /^failed: media download refused \(20404\): The requested resource was not found/,
    );
    expect(history.find((h) => h.action === "handed_off")?.changes.reason?.after).toBe("transcription_failed");
  });
});

describe("transcription retries", () => {
  it("a 429 from the model is retried after its Retry-After, then transcribed once", async () => {
    // Each attempt downloads the voice note again.
    const voice = await voiceChannel("whatsapp_zapi", { file: [{ status: 200 }, { status: 200 }] });
    await voice.scriptTranscripts([
      {
        status: 429,
        headers: { "retry-after": "30" },
        body: { error: { message: "Rate limit reached", type: "rate_limit" } },
      },
      { text: "quero dez unidades", seconds: 3 },
    ]);
    await voice.model.script([{ reply: "Anotado: dez unidades." }]);
    expect((await voice.post({ env: voice.env })).status).toBe(200);
    const [job] = await transcribeJobs(voice.tenant.organizationId);
    expect(job?.status).toBe("failed");
    expect(job?.lastError).toContain("429");
    // Retry-After (30 s) over the first backoff step (10 s).
    const wait = ((job?.nextAttemptAt?.getTime() ?? 0) - Date.now()) / 1000;
    expect(wait).toBeGreaterThan(25);
    expect(wait).toBeLessThanOrEqual(31);
    const [pending] = await audioMessages(voice.tenant.organizationId);
    expect(pending?.transcriptStatus).toBe("pending");
    expect(await voice.model.requests()).toHaveLength(0);

    await makeDue(voice.tenant.organizationId);
    await runScheduled({ env: voice.env });
    expect(await fakeRequests(voice.transcriptionPath)).toHaveLength(2);
    const [audio] = await audioMessages(voice.tenant.organizationId);
    expect(audio).toMatchObject({ transcriptStatus: "done", transcript: "quero dez unidades" });
    expect((await usageRows(voice.tenant.organizationId)).filter((u) => u.purpose === "transcribe")).toHaveLength(1);
    const requests = await voice.model.requests();
    expect(requests).toHaveLength(1);
    expect(requests[0]?.messages.at(-1)?.content).toBe("[voice note] quero dez unidades");
    expect((await botMessages(await voice.ticketId())).map((m) => m.body)).toEqual(["Anotado: dez unidades."]);
  });

  it("a 503 of the media host is retried honouring its Retry-After, then transcribed", async () => {
    const voice = await voiceChannel("whatsapp_zapi", {
      agent: false,
      file: [{ status: 503, headers: { "retry-after": "120" }, body: "busy" }, { status: 200 }],
    });
    const res = await voice.post({ env: voice.env });
    expect(res.status, res.text).toBe(200);
    const [job] = await transcribeJobs(voice.tenant.organizationId);
    expect(job?.status).toBe("failed");
    const wait = ((job?.nextAttemptAt?.getTime() ?? 0) - Date.now()) / 1000;
    expect(wait).toBeGreaterThan(110);
    expect(await fakeRequests(voice.transcriptionPath)).toHaveLength(0);
    await makeDue(voice.tenant.organizationId);
    await runScheduled({ env: voice.env });
    expect(await fakeRequests(voice.filePrefix)).toHaveLength(2);
    const [audio] = await audioMessages(voice.tenant.organizationId);
    expect(audio?.transcriptStatus).toBe("done");
    expect((await transcribeJobs(voice.tenant.organizationId)).map((j) => j.status)).toEqual(["done"]);
  });
});
