import { and, eq, isNull } from "drizzle-orm";
import { messages } from "@/db/schema";
import type { Database, Executor } from "@/platform/db";
import { recordHistory, systemActor } from "@/tickets/history";

type MessageRow = typeof messages.$inferSelect;

/** The ticket history action of a send that may repeat an earlier one the provider took. */
export const RESENT_AFTER_UNKNOWN_OUTCOME = "message_resent";

/**
 * Marks a send attempt on the message, committed before the provider call: sending is
 * at-least-once, and this is what makes a repeat visible. An earlier attempt that recorded no
 * provider id may still have reached the customer (its job died after the provider accepted),
 * so this send is written to the ticket's history as a possible repeat. False when the message
 * changed meanwhile and must not be sent.
 */
export async function markSendAttempt(db: Database, message: MessageRow): Promise<boolean> {
  const previous = message.sendAttemptedAt;
  const now = new Date();
  const mark = async (tx: Executor) => {
    const [marked] = await tx
      .update(messages)
      .set({ sendAttemptedAt: now })
      .where(and(eq(messages.id, message.id), eq(messages.status, message.status), isNull(messages.providerMessageId)))
      .returning({ id: messages.id });
    if (marked && previous) {
      await recordHistory(tx, {
        organizationId: message.organizationId,
        ticketId: message.ticketId,
        actor: systemActor,
        action: RESENT_AFTER_UNKNOWN_OUTCOME,
        changes: {
          messageId: { before: message.id, after: message.id },
          sendAttemptedAt: { before: previous.toISOString(), after: now.toISOString() },
        },
      });
    }
    return Boolean(marked);
  };
  // The first attempt is one statement; only a repeat pays for a transaction.
  return previous ? db.transaction(mark) : mark(db);
}
