import { eq } from "drizzle-orm";
import { tickets } from "@/db/schema";
import type { Transaction } from "@/platform/db";

/**
 * Locks the ticket before the bot's state row. Ingest locks in this order (the ticket, then the
 * state its message updates), so every transaction of the bot that changes both does too:
 * opposite orders would deadlock against a customer's next message.
 */
export async function lockTicketFirst(tx: Transaction, ticketId: string): Promise<void> {
  await tx.select({ id: tickets.id }).from(tickets).where(eq(tickets.id, ticketId)).for("update");
}
