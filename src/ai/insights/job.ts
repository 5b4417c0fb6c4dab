import { and, desc, eq } from "drizzle-orm";
import * as z from "zod";
import { insightTriggers, messages, ticketInsights, tickets } from "@/db/schema";
import { defineJob } from "@/jobs/define";
import { structuredCall } from "../model";
import { modelConnection } from "../model-access";
import { insightsOutput } from "./output";
import { insightsPrompt } from "./prompt";

const payload = z.object({ ticketId: z.uuid(), trigger: z.enum(insightTriggers) });

/** The most of a conversation one insights call reads (its latest messages). */
const MAX_MESSAGES = 60;

/**
 * Reads a ticket's conversation once with the model (one structured call, usage purpose
 * insights) and stores sentiment, intent, category, urgency and churn risk on ticket_insights.
 * Insights already computed up to the ticket's newest message are not computed again, so a
 * redelivery or a second request costs nothing.
 */
export const ticketInsightsJob = defineJob({
  name: "ticket.insights",
  payload,
  async handle(services, { ticketId, trigger }) {
    const { db, env } = services;
    const [ticket] = await db.select().from(tickets).where(eq(tickets.id, ticketId));
    if (!ticket) return { skipped: "no such ticket" };
    const { organizationId } = ticket;
    const history = (
      await db
        .select()
        .from(messages)
        .where(and(eq(messages.organizationId, organizationId), eq(messages.ticketId, ticket.id)))
        .orderBy(desc(messages.id))
        .limit(MAX_MESSAGES)
    ).reverse();
    const last = history.at(-1)?.id ?? null;
    if (!last) return { skipped: "no messages" };
    const [stored] = await db
      .select({ lastMessageId: ticketInsights.lastMessageId })
      .from(ticketInsights)
      .where(eq(ticketInsights.ticketId, ticket.id));
    if (stored?.lastMessageId === last) return { skipped: "insights are current" };
    const connection = await modelConnection(db, env, organizationId);
    if (!connection) return { skipped: "not_configured" };
    const model = env.OPENAI_INSIGHTS_MODEL;
    const { output, costUsd } = await structuredCall(services, connection, {
      organizationId,
      ticketId: ticket.id,
      purpose: "insights",
      model,
      temperature: 0,
      messages: insightsPrompt(history),
      schema: insightsOutput,
      schemaName: "ticket_insights",
    });
    const values = {
      sentiment: output.sentiment,
      intent: output.intent.slice(0, 200),
      category: output.category.slice(0, 200),
      urgency: output.urgency,
      churnRisk: output.churnRisk,
      summary: output.summary.slice(0, 2000),
      model,
      trigger,
      lastMessageId: last,
      updatedAt: new Date(),
    };
    await db
      .insert(ticketInsights)
      .values({ ticketId: ticket.id, organizationId, ...values })
      .onConflictDoUpdate({ target: ticketInsights.ticketId, set: values });
    return { sentiment: output.sentiment, urgency: output.urgency, churnRisk: output.churnRisk, costUsd };
  },
});
