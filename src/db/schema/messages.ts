import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { at, createdAt, id, organizationId, updatedAt } from "./columns";
import { channels, contacts, tickets } from "./helpdesk";
import { organizations, users } from "./identity";

const org = () => organizationId().references(() => organizations.id, { onDelete: "cascade" });

export const messageDirections = ["inbound", "outbound"] as const;
export type MessageDirection = (typeof messageDirections)[number];

export const messageStatuses = ["received", "queued", "sent", "delivered", "read", "failed", "simulated"] as const;
export type MessageStatus = (typeof messageStatuses)[number];

export type MessageMedia = {
  url?: string;
  providerMediaId?: string;
  mimeType?: string;
  caption?: string;
  filename?: string;
  sizeBytes?: number;
  /** Voice note (push-to-talk) rather than an audio file. */
  voice?: boolean;
  /** Length of an audio or video, where the provider reports it. */
  durationSeconds?: number;
};

/**
 * Where the transcription of an inbound audio message stands: pending (message.transcribe is
 * queued), done, or why there is none (too large or too long for the limits, the download or the
 * model failed for good, no model access).
 */
export const transcriptStatuses = ["pending", "done", "too_large", "too_long", "failed", "not_configured"] as const;
export type TranscriptStatus = (typeof transcriptStatuses)[number];

export const messages = pgTable(
  "messages",
  {
    id: id(),
    organizationId: org(),
    ticketId: uuid()
      .notNull()
      .references(() => tickets.id, { onDelete: "cascade" }),
    channelId: uuid().references(() => channels.id, { onDelete: "set null" }),
    contactId: uuid()
      .notNull()
      .references(() => contacts.id),
    direction: text().$type<MessageDirection>().notNull(),
    type: text().notNull(),
    body: text(),
    media: jsonb().$type<MessageMedia>(),
    /** Type-specific content: location, contact cards, interactive reply, template. */
    content: jsonb().$type<Record<string, unknown>>(),
    /** What an inbound voice note says (message.transcribe): the bot reads it as the message's text. */
    transcript: text(),
    transcriptStatus: text().$type<TranscriptStatus>(),
    providerMessageId: text(),
    status: text().$type<MessageStatus>().notNull(),
    error: jsonb().$type<{ code?: string; message: string }>(),
    senderType: text().$type<"contact" | "user" | "api_key" | "ai" | "system">().notNull(),
    senderId: uuid().references(() => users.id, { onDelete: "set null" }),
    sentAt: at(),
    /**
     * When a send job last began handing the message to the provider, committed before the call.
     * Set while providerMessageId is not: that attempt's outcome is unknown (the provider may
     * have taken it), so a later send is recorded in the ticket's history as a possible repeat.
     */
    sendAttemptedAt: at(),
    deliveredAt: at(),
    readAt: at(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("messages_provider_message_key").on(t.channelId, t.providerMessageId),
    index("messages_ticket_idx").on(t.ticketId, t.id),
    // Ticket search by message text (src/tickets/search.ts).
    index("messages_body_trgm_idx").using("gin", t.body.op("gin_trgm_ops")),
    // The organization's timeline, newest first (GET /api/interactions, keyset on created_at and id).
    index("messages_organization_created_idx").on(t.organizationId, t.createdAt, t.id),
    // A contact's timeline (src/contacts/timeline.ts), newest first.
    index("messages_contact_idx").on(t.contactId, t.createdAt),
  ],
);

export const calls = pgTable(
  "calls",
  {
    id: id(),
    organizationId: org(),
    channelId: uuid().references(() => channels.id, { onDelete: "set null" }),
    contactId: uuid().references(() => contacts.id),
    ticketId: uuid().references(() => tickets.id, { onDelete: "set null" }),
    provider: text().notNull(),
    providerCallId: text().notNull(),
    direction: text().$type<MessageDirection>().notNull(),
    status: text().notNull(),
    fromNumber: text(),
    toNumber: text(),
    queueId: uuid(),
    agentId: uuid().references(() => users.id, { onDelete: "set null" }),
    startedAt: at(),
    answeredAt: at(),
    endedAt: at(),
    durationSeconds: integer(),
    recordingUrl: text(),
    recordingDurationSeconds: integer(),
    recordingSid: text(),
    /** 1 (mono) or 2 (dual: customer and agent on separate channels). */
    recordingChannels: integer(),
    recordingStatus: text(),
    transcript: text(),
    /** The conversation turn by turn: `[{role: "agent" | "user" | ..., text, atSeconds?}]`. */
    transcriptTurns: jsonb().$type<CallTurn[]>(),
    summary: text(),
    sentiment: text(),
    /** Provider analysis: success, custom data, in-voicemail, ... as the provider reported it. */
    analysis: jsonb().$type<Record<string, unknown>>(),
    /** Whether the call reached its goal (a voice agent's analysis); null when unknown. */
    successful: boolean(),
    disconnectionReason: text(),
    /** The voice agent (Retell/ElevenLabs agent id) that took the call, if any. */
    providerAgentId: text(),
    /** Seconds the caller waited in queue before an agent answered or they hung up. */
    waitSeconds: integer(),
    /** The caller ID an outbound call was placed from (rotated over the channel's numbers). */
    callerId: text(),
    metadata: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("calls_provider_call_key").on(t.provider, t.providerCallId),
    index("calls_organization_idx").on(t.organizationId, t.id),
    index("calls_contact_idx").on(t.contactId, t.createdAt),
    index("calls_organization_created_idx").on(t.organizationId, t.createdAt),
    // Date ranges of the calls list and analytics: when the call started (its row's creation if unknown).
    index("calls_organization_started_idx").on(t.organizationId, sql`coalesce(${t.startedAt}, ${t.createdAt})`),
    // Placed calls not linked to a provider call yet: few at any time (src/voice/place/unknown-outcome.ts).
    index("calls_unlinked_placed_idx")
      .on(t.createdAt)
      .where(sql`${t.status} = 'queued' and ${t.providerCallId} like 'pending:%'`),
  ],
);

export type CallTurn = { role: string; text: string; atSeconds?: number };

/**
 * What happened to a call, one row per provider callback (status change, recording, assignment,
 * analysis), deduplicated by (call, key) so a redelivered callback is stored once.
 */
export const callEvents = pgTable(
  "call_events",
  {
    id: id(),
    organizationId: org(),
    callId: uuid()
      .notNull()
      .references(() => calls.id, { onDelete: "cascade" }),
    /** e.g. `status.ringing`, `recording.completed`, `assignment`, `retell.call_analyzed`. */
    kind: text().notNull(),
    /** The provider's identity of this callback (e.g. CallSid:SequenceNumber), unique per call. */
    key: text().notNull(),
    payload: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    occurredAt: at().notNull().defaultNow(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("call_events_key").on(t.callId, t.key), index("call_events_call_idx").on(t.callId, t.occurredAt)],
);

/** Numbers an organization refuses: inbound calls get <Reject>, outbound calls and messages are refused. */
export const blockedNumbers = pgTable(
  "blocked_numbers",
  {
    id: id(),
    organizationId: org(),
    /** E.164 (normalizePhone), so a Brazilian mobile with or without the ninth digit is one entry. */
    phone: text().notNull(),
    reason: text(),
    createdBy: uuid().references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("blocked_numbers_phone_key").on(t.organizationId, t.phone)],
);
