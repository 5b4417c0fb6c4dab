import { eq } from "drizzle-orm";
import type { InboundMessageType } from "@/channels/types";
import { messages } from "@/db/schema";
import type { NewJob } from "@/jobs/outbox";
import type { Transaction } from "@/platform/db";
import type { Coverage } from "../coverage";

/** Attempts of a transcription: with the doubling backoff, a few minutes of provider or model trouble. */
const TRANSCRIBE_MAX_ATTEMPTS = 5;

/** Whether an inbound message gets a transcript: audio, where the organization can reach a model. */
export function transcribes(coverage: Coverage, type: InboundMessageType): boolean {
  return type === "audio" && (coverage === "bot" || coverage === "model");
}

/**
 * Queues `message.transcribe` for an audio message, in ingest's transaction. The message is
 * marked pending, so a reply of the bot waits for the transcript instead of answering "[audio]".
 */
export async function queueTranscription(
  tx: Transaction,
  organizationId: string,
  messageId: string,
): Promise<NewJob[]> {
  await tx.update(messages).set({ transcriptStatus: "pending" }).where(eq(messages.id, messageId));
  return [
    {
      name: "message.transcribe",
      organizationId,
      payload: { messageId },
      dedupeKey: `message.transcribe:${messageId}`,
      maxAttempts: TRANSCRIBE_MAX_ATTEMPTS,
    },
  ];
}
