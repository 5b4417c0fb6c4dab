import { pgTable, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, organizationId, updatedAt } from "./columns";
import { tickets } from "./helpdesk";
import { organizations } from "./identity";

export const insightSentiments = ["positive", "neutral", "negative", "mixed"] as const;
export const insightLevels = ["low", "medium", "high"] as const;
export const insightUrgencies = ["low", "medium", "high", "critical"] as const;
export const insightTriggers = ["resolve", "request"] as const;
export type InsightTrigger = (typeof insightTriggers)[number];

/**
 * What the model made of a ticket's conversation (ticket.insights): one row per ticket, replaced
 * when the insights are computed again over newer messages.
 */
export const ticketInsights = pgTable("ticket_insights", {
  ticketId: uuid()
    .primaryKey()
    .references(() => tickets.id, { onDelete: "cascade" }),
  organizationId: organizationId().references(() => organizations.id, { onDelete: "cascade" }),
  sentiment: text().$type<(typeof insightSentiments)[number]>().notNull(),
  intent: text().notNull(),
  category: text().notNull(),
  urgency: text().$type<(typeof insightUrgencies)[number]>().notNull(),
  churnRisk: text().$type<(typeof insightLevels)[number]>().notNull(),
  summary: text(),
  model: text().notNull(),
  trigger: text().$type<InsightTrigger>().notNull(),
  /** The newest message the insights read: asked again with nothing newer, they are not recomputed. */
  lastMessageId: uuid(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});
