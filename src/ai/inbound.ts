import { and, eq, sql } from "drizzle-orm";
import type { InboundMessageType } from "@/channels/types";
import { aiAgentChannels, aiAgents, aiTicketState, tickets } from "@/db/schema";
import type { NewJob } from "@/jobs/outbox";
import type { Transaction } from "@/platform/db";
import type { Coverage } from "./coverage";
import { releaseTicket } from "./release";
import { replyJob } from "./reply/enqueue";
import { queueTranscription, transcribes } from "./transcribe/enqueue";

/** What the bot does with an inbound message: whether the ticket is its own, and the jobs that follows. */
type BotTake = { owns: boolean; jobs: NewJob[] };

/** Message types the bot answers; a reaction is not something to reply to. */
const answered = (type: InboundMessageType) => type !== "reaction";

/**
 * Whether ingest may store a message without asking the bot (its single-statement fast path):
 * no agent covers the channel, and the message is no voice note to transcribe.
 */
export function botIgnores(coverage: Coverage, type: InboundMessageType): boolean {
  return coverage === "none" || (coverage === "model" && !transcribes(coverage, type));
}

/**
 * The reply loop's entry, called by ingest in the message's transaction for channels an agent
 * covers. While no person is assigned and no hand-off happened, the ticket is the bot's: it is
 * not auto-assigned, and the message schedules one `ai.reply` after the agent's quiet period (a
 * burst of messages makes one reply: every job but the last finds a newer message and stops).
 * An audio message is transcribed first wherever there is a model (a transcript helps people
 * too); on the bot's ticket the transcription job schedules the reply, which reads the transcript.
 */
export async function botTakesInbound(
  tx: Transaction,
  coverage: Coverage,
  input: {
    channel: { id: string; organizationId: string };
    ticket: { id: string; assigneeId: string | null };
    messageId: string;
    type: InboundMessageType;
  },
): Promise<BotTake> {
  const { channel, ticket, messageId } = input;
  const transcription = transcribes(coverage, input.type)
    ? await queueTranscription(tx, channel.organizationId, messageId)
    : [];
  if (coverage === "none" || coverage === "model" || ticket.assigneeId) return { owns: false, jobs: transcription };
  if (coverage === "no_model") return { owns: false, jobs: await releaseHeld(tx, ticket.id) };
  const { rows } = await tx.execute<{ enabled: boolean; debounce_seconds: number }>(sql`
    with agent as (
      select a.id, a.debounce_seconds from ${aiAgentChannels} ac
      join ${aiAgents} a on a.id = ac.agent_id
      where ac.channel_id = ${channel.id} and ac.active
    ),
    state as (
      insert into ${aiTicketState} (ticket_id, organization_id, agent_id, last_inbound_at, last_inbound_message_id)
      select ${ticket.id}, ${channel.organizationId}, agent.id, now(), ${messageId} from agent
      on conflict (ticket_id) do update set
        agent_id = excluded.agent_id,
        last_inbound_at = excluded.last_inbound_at,
        last_inbound_message_id = greatest(ai_ticket_state.last_inbound_message_id, excluded.last_inbound_message_id),
        updated_at = now()
      returning enabled
    )
    select state.enabled, agent.debounce_seconds from state, agent`);
  const row = rows[0];
  if (!row?.enabled) return { owns: false, jobs: transcription };
  if (!answered(input.type)) return { owns: true, jobs: [] };
  if (transcription.length) return { owns: true, jobs: transcription };
  return {
    owns: true,
    jobs: [replyJob({ id: ticket.id, organizationId: channel.organizationId }, messageId, row.debounce_seconds)],
  };
}

/** Without a model the bot cannot answer: a ticket it held goes to people rather than waiting in silence. */
async function releaseHeld(tx: Transaction, ticketId: string): Promise<NewJob[]> {
  const [held] = await tx
    .select({ ticket: tickets, agent: { id: aiAgents.id, handoffQueueId: aiAgents.handoffQueueId } })
    .from(aiTicketState)
    .innerJoin(tickets, eq(tickets.id, aiTicketState.ticketId))
    .leftJoin(aiAgents, eq(aiAgents.id, aiTicketState.agentId))
    .where(and(eq(aiTicketState.ticketId, ticketId), eq(aiTicketState.enabled, true)));
  if (!held) return [];
  return releaseTicket(tx, { ticket: held.ticket, agent: held.agent, reason: "not_configured" });
}
