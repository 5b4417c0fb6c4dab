import { sql } from "drizzle-orm";
import {
  boolean,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  real,
  text,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { at, createdAt, id, organizationId, updatedAt } from "./columns";
import { channels, queues, tickets } from "./helpdesk";
import { organizations } from "./identity";

const org = () => organizationId().references(() => organizations.id, { onDelete: "cascade" });

/**
 * An organization's connection to an outside service (openai, later chatwoot, piperun, slack).
 * `config` holds what may be shown; `secrets` the sealed JSON of what may not (never returned).
 */
export const integrations = pgTable(
  "integrations",
  {
    id: id(),
    organizationId: org(),
    provider: text().notNull(),
    config: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    /** AES-GCM ciphertext of the provider's secret fields (JSON), bound to the organization and provider. */
    secrets: text(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("integrations_provider_key").on(t.organizationId, t.provider)],
);

/** An AI agent: the instructions and limits of the bot that answers on some channels. */
export const aiAgents = pgTable(
  "ai_agents",
  {
    id: id(),
    organizationId: org(),
    name: text().notNull(),
    instructions: text().notNull(),
    model: text().notNull(),
    temperature: real(),
    handoffQueueId: uuid().references(() => queues.id, { onDelete: "set null" }),
    historyWindow: integer().notNull().default(20),
    debounceSeconds: integer().notNull().default(4),
    knowledge: boolean().notNull().default(true),
    active: boolean().notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("ai_agents_organization_idx").on(t.organizationId, t.id)],
);

/**
 * The channels an agent answers on. `active` mirrors the agent's, so that the partial unique
 * index can say "one active agent per channel" even under concurrent requests.
 */
export const aiAgentChannels = pgTable(
  "ai_agent_channels",
  {
    agentId: uuid()
      .notNull()
      .references(() => aiAgents.id, { onDelete: "cascade" }),
    channelId: uuid()
      .notNull()
      .references(() => channels.id, { onDelete: "cascade" }),
    organizationId: org(),
    active: boolean().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.agentId, t.channelId] }),
    uniqueIndex("ai_agent_channels_active_key").on(t.channelId).where(sql`${t.active}`),
  ],
);

export const handoffReasons = [
  "model_handoff",
  "contact_asked",
  "hot_lead",
  "no_progress",
  "model_failed",
  "cannot_send",
  "budget_exhausted",
  "not_configured",
  "human_replied",
  "taken_by_agent",
  /** A voice note could not be transcribed (too large or long, or the download or model failed for good). */
  "transcription_failed",
] as const;
export type HandoffReason = (typeof handoffReasons)[number];

/**
 * The bot's hold on one ticket: whether it may answer (until a hand-off), what it has answered,
 * and the lease of the reply being generated, so replies for one ticket never overlap.
 */
export const aiTicketState = pgTable("ai_ticket_state", {
  ticketId: uuid()
    .primaryKey()
    .references(() => tickets.id, { onDelete: "cascade" }),
  organizationId: org(),
  agentId: uuid().references(() => aiAgents.id, { onDelete: "set null" }),
  /** False after a hand-off (or an agent took the ticket away): the bot stays silent. */
  enabled: boolean().notNull().default(true),
  /** When the bot (last) got the ticket: a person's message after it means a person took over. */
  takenAt: at().notNull().defaultNow(),
  /** Arrival (database clock) of the latest inbound message: the debounce's quiet period starts here. */
  lastInboundAt: at(),
  lastInboundMessageId: uuid(),
  /** Every inbound message up to this id (UUIDv7, so in arrival order) has been answered. */
  lastRepliedMessageId: uuid(),
  /** A reply being generated holds the ticket until then; `lockedBy` names the job. */
  lockedUntil: at(),
  lockedBy: text(),
  handedOffAt: at(),
  handoffReason: text().$type<HandoffReason>(),
  /** Consecutive replies after which the lead knew nothing new. */
  stalledReplies: integer().notNull().default(0),
  /** What the model has learned of the lead on this ticket, to tell progress from a loop. */
  lead: jsonb().$type<Record<string, unknown>>().notNull().default({}),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const usagePurposes = ["reply", "transcribe", "embed", "insights"] as const;
export type UsagePurpose = (typeof usagePurposes)[number];

/** One row per model call: what it cost, for usage reports and the monthly budget. */
export const aiUsage = pgTable(
  "ai_usage",
  {
    id: id(),
    organizationId: org(),
    ticketId: uuid().references(() => tickets.id, { onDelete: "set null" }),
    agentId: uuid().references(() => aiAgents.id, { onDelete: "set null" }),
    purpose: text().$type<UsagePurpose>().notNull(),
    model: text().notNull(),
    promptTokens: integer().notNull().default(0),
    completionTokens: integer().notNull().default(0),
    /** Seconds of audio of a transcription, which is priced by the minute. */
    audioSeconds: numeric({ precision: 12, scale: 3, mode: "number" }),
    costUsd: numeric({ precision: 14, scale: 8, mode: "number" }).notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [index("ai_usage_organization_idx").on(t.organizationId, t.createdAt)],
);
