import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
// Type only: opening hours are validated by their zod schema before they are stored.
import type { BusinessHours } from "@/business-hours/schema";
// Type only: the channel types are the adapter registry's; the column stays plain text.
import type { AnyChannelType } from "@/channels/types";
import { at, createdAt, id, organizationId, updatedAt } from "./columns";
import { organizations, users } from "./identity";

const org = () => organizationId().references(() => organizations.id, { onDelete: "cascade" });

export const channels = pgTable(
  "channels",
  {
    id: id(),
    organizationId: org(),
    type: text().$type<AnyChannelType>().notNull(),
    name: text().notNull(),
    /** AES-GCM ciphertext of the provider credentials (JSON); never returned by the API. */
    credentials: text().notNull(),
    /** AES-GCM ciphertext of the secret used to verify inbound webhooks. */
    webhookSecret: text().notNull(),
    queueId: uuid().references(() => queues.id, { onDelete: "set null" }),
    settings: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    active: boolean().notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("channels_organization_idx").on(t.organizationId, t.id)],
);

export const contacts = pgTable(
  "contacts",
  {
    id: id(),
    organizationId: org(),
    /** E.164. Null for contacts known only by a non-phone identity (a Telegram user, say). */
    phone: text(),
    /** False when the provider's number did not parse as a valid E.164 number and is kept as given. */
    phoneVerified: boolean().notNull().default(true),
    name: text(),
    email: text(),
    optOut: boolean().notNull().default(false),
    optOutAt: at(),
    metadata: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    mergedIntoId: uuid(),
    lastInboundAt: at(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("contacts_phone_key")
      .on(t.organizationId, t.phone)
      .where(sql`${t.phone} is not null and ${t.mergedIntoId} is null`),
    index("contacts_organization_idx").on(t.organizationId, t.id),
    // Search (src/contacts/search.ts): names by ILIKE '%q%', phones by digits anywhere in the number.
    index("contacts_name_trgm_idx").using("gin", t.name.op("gin_trgm_ops")),
    index("contacts_phone_trgm_idx").using("gin", t.phone.op("gin_trgm_ops")),
  ],
);

/** Non-phone identities of a contact: a Telegram user id, an e-mail thread, a CRM id. */
export const contactIdentities = pgTable(
  "contact_identities",
  {
    id: id(),
    organizationId: org(),
    contactId: uuid()
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    kind: text().notNull(),
    externalId: text().notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("contact_identities_key").on(t.organizationId, t.kind, t.externalId)],
);

export const queues = pgTable(
  "queues",
  {
    id: id(),
    organizationId: org(),
    name: text().notNull(),
    description: text(),
    slaFirstResponseMinutes: integer(),
    slaResolutionMinutes: integer(),
    // SLA alerts (src/sla): the next-response target, when a warning is raised, open hours only.
    slaNextResponseMinutes: integer(),
    /** Percent of a target's time after which a warning is raised. */
    slaWarningPercent: integer().notNull().default(80),
    /** Due times count only the opening hours (the queue's, else the organization's). */
    slaOnlyDuringBusinessHours: boolean().notNull().default(false),
    /** The queue's own opening hours; null: the organization's (sla_settings). */
    businessHours: jsonb().$type<BusinessHours>(),
    /** AES-GCM ciphertext of a Slack incoming webhook that takes this queue's alerts instead of the organization's. */
    slackWebhook: text(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("queues_name_key").on(t.organizationId, sql`lower(${t.name})`)],
);

export const agentStatuses = ["online", "away", "busy", "offline"] as const;
export type AgentStatus = (typeof agentStatuses)[number];

export const agents = pgTable(
  "agents",
  {
    userId: uuid()
      .primaryKey()
      .references(() => users.id, { onDelete: "cascade" }),
    organizationId: org(),
    status: text().$type<AgentStatus>().notNull().default("offline"),
    maxConcurrent: integer().notNull().default(5),
    lastAssignedAt: at(),
    statusChangedAt: at(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("agents_organization_idx").on(t.organizationId, t.status)],
);

export const agentQueues = pgTable(
  "agent_queues",
  {
    agentId: uuid()
      .notNull()
      .references(() => agents.userId, { onDelete: "cascade" }),
    queueId: uuid()
      .notNull()
      .references(() => queues.id, { onDelete: "cascade" }),
    organizationId: org(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.agentId, t.queueId] }), index("agent_queues_queue_idx").on(t.queueId)],
);

export const ticketStatuses = ["open", "pending", "resolved", "closed"] as const;
export type TicketStatus = (typeof ticketStatuses)[number];
export const ticketPriorities = ["low", "normal", "high", "urgent"] as const;
export type TicketPriority = (typeof ticketPriorities)[number];

export const tickets = pgTable(
  "tickets",
  {
    id: id(),
    organizationId: org(),
    number: integer().notNull(),
    contactId: uuid()
      .notNull()
      .references(() => contacts.id),
    channelId: uuid().references(() => channels.id, { onDelete: "set null" }),
    queueId: uuid().references(() => queues.id, { onDelete: "set null" }),
    assigneeId: uuid().references(() => users.id, { onDelete: "set null" }),
    status: text().$type<TicketStatus>().notNull().default("open"),
    priority: text().$type<TicketPriority>().notNull().default("normal"),
    subject: text(),
    firstResponseDueAt: at(),
    resolutionDueAt: at(),
    firstResponseAt: at(),
    firstResponseBreachedAt: at(),
    resolutionBreachedAt: at(),
    resolvedAt: at(),
    closedAt: at(),
    lastMessageAt: at(),
    lastInboundAt: at(),
    unreadCount: integer().notNull().default(0),
    // SLA clocks (src/sla): warning instants next to the due times above, and the sweep's bookkeeping.
    firstResponseWarnAt: at(),
    resolutionWarnAt: at(),
    /** The number of times the ticket was opened: resolution alerts are once per cycle. */
    slaCycle: integer().notNull().default(1),
    /** Since when the customer has waited for an answer: set by inbound messages, cleared by replies. */
    waitingSince: at(),
    /** When the team last answered a waiting customer. */
    answeredAt: at(),
    /** The wait (its waitingSince) the next-response clock was started for. */
    nextResponseFrom: at(),
    nextResponseWarnAt: at(),
    nextResponseDueAt: at(),
    /** Next-response clocks started so far: the cycle of next-response alerts. */
    nextResponseCycle: integer().notNull().default(0),
    /**
     * The due time of the earliest next-response breach recorded for the ticket (any cycle; never
     * cleared while the breach stays in sla_events). Kept by a trigger on sla_events, so the stats
     * trigger on tickets can count next-response compliance without reading sla_events.
     */
    nextResponseBreachedAt: at(),
    /** The next instant the SLA sweep must look at the ticket (a warning or due time); null: none pending. */
    slaCheckAt: at(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("tickets_number_key").on(t.organizationId, t.number),
    // One active conversation per contact and channel, even under concurrent webhooks. "Active" is
    // the rule of src/tickets/active.ts, spelled out here because it is the index's definition.
    uniqueIndex("tickets_active_conversation_key")
      .on(t.channelId, t.contactId)
      .where(sql`${t.status} in ('open', 'pending')`),
    index("tickets_organization_status_idx").on(t.organizationId, t.status, t.id),
    index("tickets_assignee_idx").on(t.assigneeId, t.status),
    index("tickets_contact_idx").on(t.contactId),
    index("tickets_subject_trgm_idx").using("gin", t.subject.op("gin_trgm_ops")),
    // Stats find the tickets of a window's partial days (at its ends; whole days come from the
    // rollups) through this index; the next-response columns are read from those rows.
    index("tickets_stats_idx").on(
      t.organizationId,
      t.createdAt,
      t.status,
      t.queueId,
      t.assigneeId,
      t.firstResponseAt,
      t.resolvedAt,
      t.firstResponseDueAt,
      t.resolutionDueAt,
    ),
    // The SLA sweep reads due tickets in (slaCheckAt, id) order, from this index alone.
    index("tickets_sla_check_idx").on(t.slaCheckAt, t.id).where(sql`${t.slaCheckAt} is not null`),
    // Customers waiting since a wait the sweep has not started a next-response clock for yet.
    index("tickets_sla_waiting_idx")
      .on(t.id)
      .where(
        sql`${t.waitingSince} is not null and ${t.firstResponseAt} is not null and ${t.nextResponseFrom} is distinct from ${t.waitingSince} and ${t.status} in ('open', 'pending')`,
      ),
    // Stats (scale slice): the rollups count every ticket still waiting for its first response or
    // resolution; these let the reader subtract those whose due time has not come yet.
    index("tickets_response_waiting_idx")
      .on(t.organizationId, t.firstResponseDueAt, t.createdAt)
      .where(sql`${t.firstResponseAt} is null and ${t.firstResponseDueAt} is not null`),
    index("tickets_resolution_waiting_idx")
      .on(t.organizationId, t.resolutionDueAt, t.createdAt)
      .where(sql`${t.resolvedAt} is null and ${t.resolutionDueAt} is not null`),
  ],
);

export const tags = pgTable(
  "tags",
  {
    id: id(),
    organizationId: org(),
    name: text().notNull(),
    color: text(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("tags_name_key").on(t.organizationId, sql`lower(${t.name})`)],
);

export const ticketTags = pgTable(
  "ticket_tags",
  {
    ticketId: uuid()
      .notNull()
      .references(() => tickets.id, { onDelete: "cascade" }),
    tagId: uuid()
      .notNull()
      .references(() => tags.id, { onDelete: "cascade" }),
    organizationId: org(),
  },
  (t) => [primaryKey({ columns: [t.ticketId, t.tagId] }), index("ticket_tags_tag_idx").on(t.tagId)],
);

export const templates = pgTable(
  "templates",
  {
    id: id(),
    organizationId: org(),
    name: text().notNull(),
    body: text().notNull(),
    language: text(),
    /** Name of the provider-approved template (WhatsApp HSM) this quick reply maps to, if any. */
    providerTemplateName: text(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("templates_name_key").on(t.organizationId, sql`lower(${t.name})`)],
);

export const actorTypes = ["user", "api_key", "system", "ai", "contact"] as const;
export type ActorType = (typeof actorTypes)[number];

/** What happened to a ticket, as its history (and the API) names it; written by recordHistory. */
export const ticketHistoryActions = [
  "created",
  "updated",
  "status_changed",
  "assigned",
  "transferred",
  "first_response",
  "tags_changed",
  "read",
  "resolved",
  "closed",
  "reopened",
  "contact_merged",
  /** A send is repeated after an attempt whose outcome at the provider is unknown (at-least-once). */
  "message_resent",
  "handed_off",
  "ai_failed",
  "ai_enabled",
  "ai_disabled",
  /** A voice note got no transcript: over the size or duration limit, or the download or model failed for good. */
  "transcription_failed",
  /** The knowledge-base passages a reply of the bot was written from. */
  "ai_knowledge_used",
  /** A call nobody answered (abandoned in the queue, out of hours, no agent): call the contact back. */
  "call_missed",
  /** A caller left a voicemail: call the contact back. */
  "voicemail_received",
] as const;
export type TicketHistoryAction = (typeof ticketHistoryActions)[number];

/** Audit of every ticket change: who, what, before, after, when. */
export const ticketHistory = pgTable(
  "ticket_history",
  {
    id: id(),
    organizationId: org(),
    ticketId: uuid()
      .notNull()
      .references(() => tickets.id, { onDelete: "cascade" }),
    actorType: text().$type<ActorType>().notNull(),
    actorId: uuid(),
    action: text().$type<TicketHistoryAction>().notNull(),
    changes: jsonb().$type<Record<string, { before: unknown; after: unknown }>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [index("ticket_history_ticket_idx").on(t.ticketId, t.id)],
);
