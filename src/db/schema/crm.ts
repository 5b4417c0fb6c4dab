import { sql } from "drizzle-orm";
import { index, jsonb, numeric, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { at, createdAt, id, organizationId, updatedAt } from "./columns";
import { contacts, tickets } from "./helpdesk";
import { organizations, users } from "./identity";
import { type LeadTemperature, leads } from "./operations";

const org = () => organizationId().references(() => organizations.id, { onDelete: "cascade" });

/** A company leads work for, one row per name (any case) in an organization. */
export const companies = pgTable(
  "companies",
  {
    id: id(),
    organizationId: org(),
    name: text().notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("companies_name_key").on(t.organizationId, sql`lower(${t.name})`)],
);

export const quoteStatuses = ["draft", "sent", "accepted", "rejected"] as const;
export type QuoteStatus = (typeof quoteStatuses)[number];
export type QuoteItem = { description: string; quantity: string | null; unitPrice: string | null };

/**
 * A quote for a lead. The bot drafts one per ticket when the lead names what it wants and how
 * much (source "ai"; kept up to date while a draft); people add others through the API.
 */
export const quotes = pgTable(
  "quotes",
  {
    id: id(),
    organizationId: org(),
    leadId: uuid()
      .notNull()
      .references(() => leads.id, { onDelete: "cascade" }),
    ticketId: uuid().references(() => tickets.id, { onDelete: "set null" }),
    source: text().$type<"ai" | "api">().notNull(),
    items: jsonb().$type<QuoteItem[]>().notNull().default([]),
    quantity: text(),
    amount: numeric({ precision: 14, scale: 2 }),
    currency: text().notNull().default("BRL"),
    status: text().$type<QuoteStatus>().notNull().default("draft"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("quotes_lead_idx").on(t.organizationId, t.leadId, t.id),
    uniqueIndex("quotes_ai_ticket_key").on(t.leadId, t.ticketId).where(sql`${t.source} = 'ai'`),
  ],
);

export const technicalQuestionStatuses = ["open", "answered"] as const;
export type TechnicalQuestionStatus = (typeof technicalQuestionStatuses)[number];

/** A question the bot could not answer, for the engineering team; the answer goes into the ticket's next reply. */
export const technicalQuestions = pgTable(
  "technical_questions",
  {
    id: id(),
    organizationId: org(),
    leadId: uuid().references(() => leads.id, { onDelete: "set null" }),
    ticketId: uuid().references(() => tickets.id, { onDelete: "cascade" }),
    contactId: uuid().references(() => contacts.id, { onDelete: "set null" }),
    question: text().notNull(),
    /** The question folded (case, spaces, end punctuation) so the same question on a ticket is kept once. */
    questionKey: text().notNull(),
    status: text().$type<TechnicalQuestionStatus>().notNull().default("open"),
    answer: text(),
    answeredBy: uuid().references(() => users.id, { onDelete: "set null" }),
    answeredAt: at(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("technical_questions_ticket_key").on(t.ticketId, t.questionKey),
    index("technical_questions_status_idx").on(t.organizationId, t.status, t.id),
  ],
);

/** Every change of a lead's temperature, by the bot (with its ticket) or a person. */
export const leadTemperatureChanges = pgTable(
  "lead_temperature_changes",
  {
    id: id(),
    organizationId: org(),
    leadId: uuid()
      .notNull()
      .references(() => leads.id, { onDelete: "cascade" }),
    from: text().$type<LeadTemperature>(),
    to: text().$type<LeadTemperature>(),
    ticketId: uuid().references(() => tickets.id, { onDelete: "set null" }),
    actorType: text().notNull(),
    actorId: uuid(),
    at: createdAt(),
  },
  (t) => [index("lead_temperature_changes_lead_idx").on(t.leadId, t.id)],
);

/**
 * What a local row is at a CRM (a Chatwoot contact, conversation or message; a PipeRun deal):
 * written as soon as the provider answers, so a retried sync never creates a thing twice.
 */
export const crmLinks = pgTable(
  "crm_links",
  {
    id: id(),
    organizationId: org(),
    provider: text().notNull(),
    kind: text().$type<"contact" | "conversation" | "message" | "deal">().notNull(),
    localId: uuid().notNull(),
    remoteId: text().notNull(),
    /** Provider details needed later (a Chatwoot contact's source_id in the inbox). */
    extra: jsonb().$type<Record<string, unknown>>(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("crm_links_local_key").on(t.organizationId, t.provider, t.kind, t.localId)],
);

/**
 * The Chatwoot mirror of one ticket: how far its messages are mirrored, and a lease so that two
 * sync jobs of one ticket never post at once (which would create the conversation twice).
 */
export const crmTicketSync = pgTable("crm_ticket_sync", {
  ticketId: uuid()
    .primaryKey()
    .references(() => tickets.id, { onDelete: "cascade" }),
  organizationId: org(),
  provider: text().notNull(),
  syncedUpTo: uuid(),
  lockedBy: text(),
  lockedUntil: at(),
  lastError: text(),
  updatedAt: updatedAt(),
});
