import { z } from "@hono/zod-openapi";
import { and, desc, eq } from "drizzle-orm";
import {
  insightLevels,
  insightSentiments,
  insightTriggers,
  insightUrgencies,
  messages,
  ticketInsights,
} from "@/db/schema";
import type { Executor } from "@/platform/db";
import { timestamp } from "@/platform/openapi";

export const insightsSchema = z
  .object({
    sentiment: z.enum(insightSentiments),
    intent: z.string(),
    category: z.string(),
    urgency: z.enum(insightUrgencies),
    churnRisk: z.enum(insightLevels),
    summary: z.string().nullable(),
    model: z.string(),
    trigger: z
      .enum(insightTriggers)
      .openapi({ description: "resolve (the ticket was resolved) or request (POST /insights)." }),
    lastMessageId: z.string().nullable().openapi({ description: "The newest message the insights read." }),
    computedAt: timestamp,
  })
  .openapi("TicketInsights");
export type Insights = z.infer<typeof insightsSchema>;

type Row = typeof ticketInsights.$inferSelect;

function present(row: Row): Insights {
  return {
    sentiment: row.sentiment,
    intent: row.intent,
    category: row.category,
    urgency: row.urgency,
    churnRisk: row.churnRisk,
    summary: row.summary,
    model: row.model,
    trigger: row.trigger,
    lastMessageId: row.lastMessageId,
    computedAt: row.updatedAt.toISOString(),
  };
}

/** A ticket's insights, or null while none were computed. */
export async function readInsights(db: Executor, organizationId: string, ticketId: string): Promise<Insights | null> {
  const [row] = await db
    .select()
    .from(ticketInsights)
    .where(and(eq(ticketInsights.organizationId, organizationId), eq(ticketInsights.ticketId, ticketId)));
  return row ? present(row) : null;
}

/** The newest message of a ticket: insights computed up to it are current. */
export async function newestMessageId(db: Executor, ticketId: string): Promise<string | null> {
  const [row] = await db
    .select({ id: messages.id })
    .from(messages)
    .where(eq(messages.ticketId, ticketId))
    .orderBy(desc(messages.id))
    .limit(1);
  return row?.id ?? null;
}
