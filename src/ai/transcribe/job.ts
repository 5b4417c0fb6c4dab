import { eq } from "drizzle-orm";
import * as z from "zod";
import { channels, messages } from "@/db/schema";
import { defineJob } from "@/jobs/define";
import { dispatch } from "@/jobs/dispatch";
import type { Services } from "@/platform/services";
import { cleanText } from "@/platform/text";
import { modelConnection } from "../model-access";
import { downloadMedia } from "./download";
import { transcribeAudio } from "./model";
import { settleTranscript, type TranscriptOutcome } from "./settle";

const payload = z.object({ messageId: z.uuid() });

type Message = typeof messages.$inferSelect;

async function settle(services: Services, message: Message, outcome: TranscriptOutcome) {
  const { settled, jobs } = await settleTranscript(services.db, services.env, message, outcome);
  if (jobs.length) services.waitUntil(dispatch(services, jobs));
  if (settled && outcome.status !== "done") {
    services.log.warn("voice note not transcribed", {
      messageId: message.id,
      ticketId: message.ticketId,
      status: outcome.status,
      ...("reason" in outcome ? { reason: outcome.reason } : {}),
    });
  }
  return { status: outcome.status, settled, next: jobs.map((j) => j.name) };
}

/** The voice note's text, or what stands in the way; throws job errors for trouble a retry can fix. */
async function transcribe(services: Services, message: Message): Promise<TranscriptOutcome> {
  const { db, env } = services;
  const connection = await modelConnection(db, env, message.organizationId);
  if (!connection) return { status: "not_configured" };
  const media = message.media ?? {};
  const seconds = media.durationSeconds;
  if (typeof seconds === "number" && seconds > env.TRANSCRIBE_MAX_SECONDS) {
    return { status: "too_long", reason: `${seconds} s, over the ${env.TRANSCRIBE_MAX_SECONDS}-second limit` };
  }
  const [channel] = message.channelId ? await db.select().from(channels).where(eq(channels.id, message.channelId)) : [];
  if (!channel) return { status: "failed", reason: "the message's channel is gone" };
  const file = await downloadMedia(env, channel, media);
  if ("status" in file) return file;
  const started = performance.now();
  const result = await transcribeAudio(services, connection, {
    organizationId: message.organizationId,
    ticketId: message.ticketId,
    model: env.OPENAI_TRANSCRIBE_MODEL,
    file,
    statedSeconds: seconds,
  });
  services.log.info("voice note transcribed", {
    messageId: message.id,
    bytes: file.bytes.byteLength,
    audioSeconds: result.audioSeconds,
    model: env.OPENAI_TRANSCRIBE_MODEL,
    ms: Math.round(performance.now() - started),
  });
  return { status: "done", transcript: result.text };
}

/**
 * Transcribes an inbound voice note: the media fetched with the channel's credentials, sent to
 * `/audio/transcriptions`, the text stored on the message (shown in the API as `transcript`), then
 * on the bot's ticket the reply that waited for it. A transcript already stored is never made
 * again; 429/5xx of the provider or the model are retried through the job (Retry-After).
 */
export const transcribeJob = defineJob({
  name: "message.transcribe",
  payload,
  async handle(services, { messageId }) {
    const [message] = await services.db.select().from(messages).where(eq(messages.id, messageId));
    if (!message) return { skipped: "no such message" };
    if (message.transcript !== null || (message.transcriptStatus && message.transcriptStatus !== "pending")) {
      return { skipped: `already ${message.transcriptStatus ?? "transcribed"}` };
    }
    if (message.type !== "audio" || message.direction !== "inbound") return { skipped: "not an inbound voice note" };
    return settle(services, message, await transcribe(services, message));
  },
  async onDead(services, { messageId }, error) {
    const [message] = await services.db.select().from(messages).where(eq(messages.id, messageId));
    if (!message) return;
    await settle(services, message, { status: "failed", reason: cleanText(error).slice(0, 500) });
  },
});
