import { sql } from "drizzle-orm";
import { customType, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { at, createdAt, id, updatedAt } from "./columns";
import { companies } from "./crm";
import { channels, contacts, tickets } from "./helpdesk";
import { organizations } from "./identity";

/** Every raw provider event, kept verbatim; the idempotency key makes redeliveries no-ops. */
export const interactionEvents = pgTable(
  "interaction_events",
  {
    id: id(),
    organizationId: uuid().references(() => organizations.id, { onDelete: "cascade" }),
    channelId: uuid().references(() => channels.id, { onDelete: "set null" }),
    /**
     * The contact an event is about, where the event names one: a custom webhook's body
     * (`contactId`, `phone`, `contact.phone`), so the contact's timeline shows it.
     */
    contactId: uuid().references(() => contacts.id, { onDelete: "set null" }),
    provider: text().notNull(),
    eventType: text().notNull(),
    idempotencyKey: text().notNull(),
    payload: jsonb().notNull(),
    /** The event as Switchboard understood it (type-specific), next to the raw payload. */
    normalized: jsonb().$type<Record<string, unknown>>(),
    /** What the event is about at the provider: the message id a status update refers to. */
    reference: text(),
    processedAt: at(),
    error: text(),
    receivedAt: createdAt(),
  },
  (t) => [
    uniqueIndex("interaction_events_idempotency_key").on(t.provider, t.idempotencyKey),
    index("interaction_events_organization_idx").on(t.organizationId, t.id),
    // Status updates that arrived before the send job recorded the provider message id.
    index("interaction_events_unapplied_idx").on(t.channelId, t.reference).where(sql`${t.processedAt} is null`),
    // Every event about one message (the inbound event, its statuses): GET /api/interactions/{id}.
    index("interaction_events_message_idx").on(
      t.channelId,
      sql`coalesce(${t.reference}, ${t.normalized} ->> 'providerMessageId')`,
    ),
    // A contact's timeline (GET /api/contacts/{id}/timeline): its custom webhook events.
    index("interaction_events_contact_idx").on(t.contactId, t.receivedAt).where(sql`${t.contactId} is not null`),
    // GET /api/interactions: the organization's custom webhook events, newest first.
    index("interaction_events_custom_idx").on(t.organizationId, t.receivedAt).where(sql`${t.provider} = 'custom'`),
  ],
);

/** Raw bytes: the exact body a provider sent, NUL characters and invalid UTF-8 included. */
const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({ dataType: () => "bytea" });

export const webhookEventStatuses = ["stored", "duplicate", "ignored", "failed"] as const;
export type WebhookEventStatus = (typeof webhookEventStatuses)[number];

/**
 * Every webhook body that passed verification, with what became of it. Nothing that carried a
 * customer's content is dropped without a row here; an admin lists the ignored and failed ones and
 * replays them after a fix.
 */
export const webhookEvents = pgTable(
  "webhook_events",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    channelId: uuid().references(() => channels.id, { onDelete: "set null" }),
    provider: text().notNull(),
    /** The path segment after the channel id (Twilio's "sms" or "sms-status"), if any. */
    route: text(),
    contentType: text(),
    body: bytea().notNull(),
    status: text().$type<WebhookEventStatus>().notNull(),
    /** Why it was ignored or failed, for people. */
    reason: text(),
    /** Counts of messages, statuses, duplicates and ignored events, with the reasons for the ignored. */
    result: jsonb().$type<Record<string, unknown>>(),
    replayCount: integer().notNull().default(0),
    replayedAt: at(),
    receivedAt: createdAt(),
  },
  (t) => [
    index("webhook_events_organization_idx").on(t.organizationId, t.id),
    index("webhook_events_status_idx").on(t.organizationId, t.status, t.id),
  ],
);

export const jobStatuses = ["pending", "published", "running", "done", "failed", "dead"] as const;
export type JobStatus = (typeof jobStatuses)[number];

/** Transactional outbox: a job row commits with the state that caused it, then is delivered. */
export const outbox = pgTable(
  "outbox",
  {
    id: id(),
    organizationId: uuid().references(() => organizations.id, { onDelete: "cascade" }),
    name: text().notNull(),
    payload: jsonb().$type<Record<string, unknown>>().notNull(),
    /** Optional natural key (e.g. the message a send job is for) so a job is never written twice. */
    dedupeKey: text(),
    status: text().$type<JobStatus>().notNull().default("pending"),
    attempts: integer().notNull().default(0),
    maxAttempts: integer().notNull().default(8),
    nextAttemptAt: at().notNull().defaultNow(),
    /** While running: a redelivery before this instant is a duplicate, after it a takeover. */
    lockedUntil: at(),
    lastError: text(),
    publishedAt: at(),
    completedAt: at(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("outbox_dedupe_key").on(t.dedupeKey),
    index("outbox_due_idx").on(t.status, t.nextAttemptAt),
    index("outbox_organization_idx").on(t.organizationId, t.status, t.id),
  ],
);

export const leadStatuses = ["new", "qualified", "disqualified", "converted"] as const;
export type LeadStatus = (typeof leadStatuses)[number];
export const leadTemperatures = ["cold", "warm", "hot"] as const;
export type LeadTemperature = (typeof leadTemperatures)[number];

export const leads = pgTable(
  "leads",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    contactId: uuid()
      .notNull()
      .references(() => contacts.id),
    ticketId: uuid().references(() => tickets.id, { onDelete: "set null" }),
    source: text(),
    status: text().$type<LeadStatus>().notNull().default("new"),
    score: integer(),
    data: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    // What the conversation taught about the lead (the AI's `lead` output, or a person's edit).
    name: text(),
    company: text(),
    /** The company row the `company` name points at (src/db/schema/crm.ts). */
    companyId: uuid().references(() => companies.id, { onDelete: "set null" }),
    email: text(),
    interest: text(),
    quantity: text(),
    urgency: text(),
    temperature: text().$type<LeadTemperature>(),
    /** When the lead last turned hot. */
    hotAt: at(),
    qualifiedAt: at(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("leads_organization_idx").on(t.organizationId, t.status, t.id),
    // One lead per contact: every reply of every ticket folds into it.
    uniqueIndex("leads_contact_key").on(t.organizationId, t.contactId),
    index("leads_temperature_idx").on(t.organizationId, t.temperature, t.id),
  ],
);

/** `Idempotency-Key` of API requests: the first response, replayed for 24 hours. */
export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    key: text().notNull(),
    /** SHA-256 of method, path and body: the same key with another request is refused. */
    requestHash: text().notNull(),
    responseStatus: integer(),
    responseBody: jsonb(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("idempotency_keys_key").on(t.organizationId, t.key)],
);
