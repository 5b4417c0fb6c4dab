import { and, desc, eq, gt, lte, or } from "drizzle-orm";
import { channels, contacts, messages, organizations } from "@/db/schema";
import type { KnowledgeChunk } from "@/knowledge/retrieve";
import { answeredForTicket } from "@/leads/answers";
import { type Executor, inTurn } from "@/platform/db";
import type { MessageRow } from "@/tickets/schemas";
import type { Turn } from "./claim";

/** Everything one reply is written from. */
export type ReplyContext = {
  organizationName: string;
  channelType: string | null;
  contact: { name: string | null; phone: string | null; email: string | null };
  /** The last `historyWindow` messages of the ticket (inbound, outbound, the bot's own), the unanswered last. */
  history: MessageRow[];
  /** The inbound messages this reply answers (since the last reply, up to the turn's newest). */
  unanswered: MessageRow[];
  /** Filled by the reply once it knows it will call the model (retrieval costs an embedding). */
  knowledge: KnowledgeChunk[];
  /** The engineering team's answers to this ticket's technical questions. */
  answers: { question: string; answer: string | null }[];
};

/**
 * A message as text for the model: its body, a voice note's transcript, or what it is when it
 * has none (a photo, a location).
 */
export function messageText(message: Pick<MessageRow, "type" | "body" | "media" | "transcript">): string {
  const caption = message.media?.caption;
  if (message.type === "text") return message.body ?? "";
  if (message.transcript) return `[voice note] ${message.transcript}${caption ? `\n${caption}` : ""}`;
  const body = message.body ?? caption;
  return body ? `[${message.type}] ${body}` : `[${message.type}]`;
}

/**
 * The chat as the customer lived it: what is still unanswered comes last, after replies written
 * while it arrived (a reply to the first of two messages is stored after the second).
 */
function asSeen(history: MessageRow[], unanswered: MessageRow[]): MessageRow[] {
  const waiting = new Set(unanswered.map((m) => m.id));
  return [...history.filter((m) => !waiting.has(m.id)), ...history.filter((m) => waiting.has(m.id))];
}

export async function loadReplyContext(db: Executor, turn: Turn): Promise<ReplyContext> {
  const { ticket, agent, state, coverUpTo } = turn;
  const [[org], [contact], [channel], recent, unanswered, answers] = await inTurn(
    () =>
      db.select({ name: organizations.name }).from(organizations).where(eq(organizations.id, ticket.organizationId)),
    () =>
      db
        .select({ name: contacts.name, phone: contacts.phone, email: contacts.email })
        .from(contacts)
        .where(eq(contacts.id, ticket.contactId)),
    () =>
      ticket.channelId
        ? db.select({ type: channels.type }).from(channels).where(eq(channels.id, ticket.channelId))
        : Promise.resolve([]),
    () =>
      db
        .select()
        .from(messages)
        .where(
          and(eq(messages.ticketId, ticket.id), or(eq(messages.direction, "outbound"), lte(messages.id, coverUpTo))),
        )
        .orderBy(desc(messages.id))
        .limit(agent.historyWindow),
    () =>
      db
        .select()
        .from(messages)
        .where(
          and(
            eq(messages.ticketId, ticket.id),
            eq(messages.direction, "inbound"),
            lte(messages.id, coverUpTo),
            state.lastRepliedMessageId ? gt(messages.id, state.lastRepliedMessageId) : undefined,
          ),
        )
        .orderBy(messages.id),
    () => answeredForTicket(db, ticket.id),
  );
  return {
    organizationName: org?.name ?? "",
    channelType: channel?.type ?? null,
    contact: contact ?? { name: null, phone: null, email: null },
    history: asSeen(recent.reverse(), unanswered),
    unanswered,
    knowledge: [],
    answers,
  };
}

/** The customer's latest texts, to tell which language to hand off in. */
export async function recentInboundTexts(db: Executor, ticketId: string): Promise<string[]> {
  const rows = await db
    .select({ type: messages.type, body: messages.body, media: messages.media, transcript: messages.transcript })
    .from(messages)
    .where(and(eq(messages.ticketId, ticketId), eq(messages.direction, "inbound")))
    .orderBy(desc(messages.id))
    .limit(10);
  return rows.map(messageText);
}
