import * as z from "zod";
import { insightLevels, insightSentiments, insightUrgencies } from "@/db/schema";

/** What one model call reads from a conversation; strict structured output, every field required. */
export const insightsOutput = z.object({
  sentiment: z.enum(insightSentiments).describe("The customer's overall sentiment in the conversation."),
  intent: z
    .string()
    .describe(
      "What the customer wanted, in two to four lowercase words (e.g. price quote, order status, cancel plan).",
    ),
  category: z
    .string()
    .describe("One short lowercase category for reporting (e.g. sales, billing, support, complaint, logistics)."),
  urgency: z.enum(insightUrgencies).describe("How urgent the customer's need is."),
  churnRisk: z
    .enum(insightLevels)
    .describe("How likely the customer is to leave or cancel, judging by the conversation."),
  summary: z.string().describe("One sentence, in the conversation's language: what happened."),
});
export type InsightsOutput = z.infer<typeof insightsOutput>;
