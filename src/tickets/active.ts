import { type SQL, sql } from "drizzle-orm";
import { type TicketStatus, tickets } from "@/db/schema";

/** A ticket is active, still on the team's plate, while it is open or pending. */
export const activeStatuses = ["open", "pending"] as const satisfies readonly TicketStatus[];
export type ActiveStatus = (typeof activeStatuses)[number];

export function isActive(status: TicketStatus): status is ActiveStatus {
  return (activeStatuses as readonly TicketStatus[]).includes(status);
}

/**
 * The rule in SQL. Literals rather than parameters: ON CONFLICT can only pick the partial unique
 * index tickets_active_conversation_key (src/db/schema/helpdesk.ts, the same rule) from a
 * predicate it can read at parse time.
 */
export const ticketIsActive: SQL = sql`${tickets.status} in (${sql.raw(activeStatuses.map((s) => `'${s}'`).join(", "))})`;
