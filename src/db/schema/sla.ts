import { sql } from "drizzle-orm";
import { index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
// Type only: opening hours are validated by their zod schema before they are stored.
import type { BusinessHours } from "@/business-hours/schema";
import { at, createdAt, id, organizationId, updatedAt } from "./columns";
import { tickets } from "./helpdesk";
import { organizations, users } from "./identity";

const org = () => organizationId().references(() => organizations.id, { onDelete: "cascade" });

export const slaKinds = ["first_response", "next_response", "resolution"] as const;
export type SlaKind = (typeof slaKinds)[number];
export const slaLevels = ["warning", "breached"] as const;
export type SlaLevel = (typeof slaLevels)[number];

/**
 * Every SLA warning and breach, taken once: the unique key is the alert, so overlapping sweeps, a
 * sweep retried after dying half-way and redeliveries never raise one twice. A reopen is a new
 * resolution cycle; each customer wait is a new next-response cycle.
 */
export const slaEvents = pgTable(
  "sla_events",
  {
    id: id(),
    organizationId: org(),
    ticketId: uuid()
      .notNull()
      .references(() => tickets.id, { onDelete: "cascade" }),
    kind: text().$type<SlaKind>().notNull(),
    level: text().$type<SlaLevel>().notNull(),
    cycle: integer().notNull(),
    /** When the threshold was crossed: the warning instant or the due time. */
    crossedAt: at().notNull(),
    dueAt: at().notNull(),
    /** Where the ticket was when the alert was taken. */
    queueId: uuid(),
    assigneeId: uuid(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("sla_events_key").on(t.ticketId, t.kind, t.level, t.cycle),
    index("sla_events_organization_idx").on(t.organizationId, t.crossedAt),
  ],
);

/** In-app notifications of a user (SLA alerts, daily summaries); once per user and source. */
export const notifications = pgTable(
  "notifications",
  {
    id: id(),
    organizationId: org(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    type: text().notNull(),
    title: text().notNull(),
    body: text(),
    ticketId: uuid().references(() => tickets.id, { onDelete: "cascade" }),
    data: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    /** What raised it (an SLA event, a daily summary). */
    sourceKey: text().notNull(),
    readAt: at(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("notifications_source_key").on(t.userId, t.sourceKey),
    index("notifications_user_idx").on(t.userId, t.id),
    index("notifications_unread_idx").on(t.userId, t.id).where(sql`${t.readAt} is null`),
  ],
);

/** An organization's opening hours (queues may have their own) and its daily summary. */
export const slaSettings = pgTable("sla_settings", {
  organizationId: uuid()
    .primaryKey()
    .references(() => organizations.id, { onDelete: "cascade" }),
  businessHours: jsonb().$type<BusinessHours>(),
  /** Local HH:MM at which the summary of the previous local day is sent; null: none. */
  dailySummaryTime: text(),
  dailySummaryTimezone: text(),
  updatedAt: updatedAt(),
});

/** One row per organization and local day summarized: the key makes the summary once a day. */
export const slaDailySummaries = pgTable(
  "sla_daily_summaries",
  {
    organizationId: org(),
    /** The local day (YYYY-MM-DD) the figures cover. */
    day: text().notNull(),
    figures: jsonb().$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.day] })],
);
