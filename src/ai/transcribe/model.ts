import { toFile } from "openai/core/uploads";
import type { Transcription } from "openai/resources/audio/transcriptions";
import type { DownloadedMedia } from "@/channels/types";
import type { Services } from "@/platform/services";
import { cleanText } from "@/platform/text";
import { type ModelConnection, openaiClient } from "../client";
import { modelJobError } from "../errors";
import { readAiSettings } from "../settings";
import { recordUsage } from "../usage/record";

export type Transcribed = { text: string; audioSeconds: number | null; costUsd: number };

/**
 * One `/audio/transcriptions` call through the SDK, recorded as a usage row (purpose transcribe):
 * tokens when the model reports them (gpt-4o transcribe models), seconds of audio otherwise
 * (whisper-1 reports them; else the duration the provider stated). Failures are job errors.
 */
export async function transcribeAudio(
  services: Services,
  connection: ModelConnection,
  call: {
    organizationId: string;
    ticketId: string | null;
    model: string;
    file: DownloadedMedia;
    statedSeconds?: number;
  },
): Promise<Transcribed> {
  const { db, env } = services;
  let answer: Transcription;
  try {
    const upload = await toFile(call.file.bytes, call.file.filename, { type: call.file.mimeType ?? "audio/ogg" });
    answer = await openaiClient(env, connection).audio.transcriptions.create({
      file: upload,
      model: call.model,
      response_format: "json",
    });
  } catch (error) {
    throw modelJobError(error);
  }
  const usage = answer.usage;
  const tokens = usage?.type === "tokens" ? usage : undefined;
  const audioSeconds = usage?.type === "duration" ? usage.seconds : (call.statedSeconds ?? null);
  const { prices } = await readAiSettings(db, call.organizationId);
  const costUsd = await recordUsage(
    db,
    {
      organizationId: call.organizationId,
      ticketId: call.ticketId,
      purpose: "transcribe",
      model: call.model,
      promptTokens: tokens?.input_tokens ?? 0,
      completionTokens: tokens?.output_tokens ?? 0,
      // Priced per minute only where the price table says so (whisper-1); token-billed models by token.
      audioSeconds,
    },
    prices,
  );
  // Model output is untrusted text on its way to SQL: PostgreSQL refuses NUL and lone surrogates.
  return { text: cleanText(answer.text ?? "").trim(), audioSeconds, costUsd };
}
