import { sql } from "drizzle-orm";
import { aiAgentChannels, aiTicketState, tickets } from "@/db/schema";

/**
 * SQL over the outer query's `tickets` row: the ticket is the bot's. The bot holds it (no hand-off)
 * and an active AI agent still covers its channel. Auto-assignment leaves such tickets alone; once
 * the agent is deactivated, deleted or moved off the channel they are people's again.
 */
export const botHoldsTicket = sql`exists (
  select 1 from ${aiTicketState} s
  join ${aiAgentChannels} ac on ac.agent_id = s.agent_id and ac.active
  where s.ticket_id = ${tickets.id} and s.enabled and ac.channel_id = ${tickets.channelId})`;
