import type { NewJob } from "@/jobs/outbox";

/** Attempts of a reply: with the 10 s doubling backoff about a minute of model trouble, then a hand-off. */
const REPLY_MAX_ATTEMPTS = 4;

/** The `ai.reply` job for the newest inbound message of a ticket, due once the quiet period is over. */
export function replyJob(
  ticket: { id: string; organizationId: string },
  messageId: string,
  delaySeconds: number,
  key = `ai.reply:${messageId}`,
): NewJob {
  return {
    name: "ai.reply",
    organizationId: ticket.organizationId,
    payload: { ticketId: ticket.id, messageId },
    dedupeKey: key,
    maxAttempts: REPLY_MAX_ATTEMPTS,
    delaySeconds: Math.max(0, Math.ceil(delaySeconds)),
  };
}
