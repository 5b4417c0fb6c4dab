import * as z from "zod";

// Every field beyond reply and action is nullish: strict structured outputs list it as required
// and nullable, while an OpenAI-compatible server that leaves it out still parses.
const leadOutput = z.object({
  name: z.string().nullish(),
  company: z.string().nullish(),
  email: z.string().nullish(),
  interest: z.string().nullish().describe("What the customer wants to buy or solve."),
  quantity: z.string().nullish(),
  urgency: z.string().nullish(),
  temperature: z
    .enum(["cold", "warm", "hot"])
    .nullish()
    .describe("hot: ready to buy or asking for a quote now; warm: interested; cold: just looking."),
  technicalQuestion: z.string().nullish().describe("A technical question you could not answer, for the engineers."),
});
export type LeadOutput = z.infer<typeof leadOutput>;

const replyActions = ["reply", "handoff", "close"] as const;

export const replyOutput = z.object({
  reply: z.string().describe("The message to send the customer, in their language. Plain text."),
  action: z
    .enum(replyActions)
    .describe(
      "reply: keep talking. handoff: a person must take over (reply tells the customer so). close: the conversation is finished.",
    ),
  lead: leadOutput.nullish().describe("What the customer said about themselves; null for anything unknown."),
});
export type ReplyOutput = z.infer<typeof replyOutput>;
