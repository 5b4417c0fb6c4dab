import { type SQL, type SQLWrapper, sql } from "drizzle-orm";
import { tickets, users } from "@/db/schema";
import { ticketIsActive } from "@/tickets/active";

/**
 * Joined with users: the agent works tickets. An agent promoted to admin keeps the profile row
 * but stops working tickets; a deactivated user works none.
 */
export const worksTickets: SQL = sql`(${users.active} and ${users.role} <> 'admin')`;

/** An agent's load, the active tickets assigned to them: a subquery on an agent id (or its column). */
export function agentLoad(agentId: SQLWrapper | string): SQL<number> {
  return sql<number>`(select count(*)::int from ${tickets} where ${tickets.assigneeId} = ${agentId} and ${ticketIsActive})`;
}
