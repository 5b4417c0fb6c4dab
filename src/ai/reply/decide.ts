import type { HandoffReason } from "@/db/schema";
import { handoffText, type Language } from "../handoff-rules";
import { foldLead } from "../leads";
import type { ReplyOutput } from "./output";

/** Replies in a row after which the lead knew nothing new: the conversation is going in circles. */
const MAX_REPLIES_WITHOUT_PROGRESS = 8;

export type Outcome = {
  /** What the customer is sent, in order. */
  texts: string[];
  handoff?: HandoffReason;
  close?: boolean;
  lead: Record<string, unknown>;
  stalledReplies: number;
};

/** What a reply does with the model's answer: the model's action, then the rules that overrule it. */
export function decide(
  output: ReplyOutput,
  known: { lead: Record<string, unknown>; stalledReplies: number },
  language: Language,
): Outcome {
  const { lead, progressed } = foldLead(known.lead, output.lead);
  const stalledReplies = progressed ? 0 : known.stalledReplies + 1;
  const reply = output.reply.trim();
  const base = { lead, stalledReplies };
  if (output.action === "handoff")
    return { ...base, texts: [reply || handoffText(language)], handoff: "model_handoff" };
  if (lead.temperature === "hot" && known.lead.temperature !== "hot") {
    // A lead that turned hot goes to a salesperson now, told so after the bot's answer.
    return { ...base, texts: [reply, handoffText(language)].filter(Boolean), handoff: "hot_lead" };
  }
  if (stalledReplies >= MAX_REPLIES_WITHOUT_PROGRESS) {
    return { ...base, texts: [handoffText(language)], handoff: "no_progress" };
  }
  return { ...base, texts: reply ? [reply] : [], close: output.action === "close" };
}
