import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { AiAgentRow } from "../agents/schemas";
import { messageText, type ReplyContext } from "./context";

const channelNames: Record<string, string> = {
  whatsapp_meta: "WhatsApp",
  whatsapp_zapi: "WhatsApp",
  whatsapp_builderbot: "WhatsApp",
  twilio_sms: "SMS",
  telegram: "Telegram",
};

function rules(agent: AiAgentRow, context: ReplyContext): string {
  const where = channelNames[context.channelType ?? ""] ?? "a chat channel";
  return [
    `You are ${agent.name}, answering customers of ${context.organizationName || "the company"} on ${where}.`,
    "Your instructions from the company:",
    '"""',
    agent.instructions,
    '"""',
    "How to answer:",
    "- Write in the customer's language, briefly, as a chat message (plain text, no markdown).",
    "- Answer every message the customer sent since your last reply in one reply.",
    "- Say only what the instructions, the knowledge below or the conversation support; never invent prices, stock, dates or policies. When you do not know, say a person will help and use action handoff.",
    '- action "handoff" when the customer asks for a person, when you cannot help, or when the lead is ready for a salesperson; the reply then tells them a person will continue.',
    '- action "close" only when the customer has clearly finished; the reply then says goodbye.',
    "- lead: what the customer said about themselves and what they want; null for anything not said.",
    "- Messages marked [person] were written by a member of the team; messages like [image] are media you cannot see.",
    "- A message marked [voice note] is the customer's spoken message, transcribed: answer it like a text.",
  ].join("\n");
}

function facts(context: ReplyContext, now: Date): string {
  const { contact, knowledge, answers } = context;
  const lines = [
    `Now: ${now.toISOString()}`,
    `Customer: ${contact.name ?? "unknown name"}${contact.phone ? `, phone ${contact.phone}` : ""}${contact.email ? `, e-mail ${contact.email}` : ""}`,
  ];
  if (knowledge.length) {
    lines.push("Knowledge base (use it when it answers the question):");
    for (const chunk of knowledge) lines.push(`--- ${chunk.title}\n${chunk.content}`);
  }
  if (answers.length) {
    lines.push("Answers from the engineering team to this customer's technical questions (tell the customer):");
    for (const a of answers) lines.push(`Q: ${a.question}\nA: ${a.answer}`);
  }
  return lines.join("\n");
}

/**
 * The prompt of one reply: the agent's instructions and the rules, the organization's and the
 * contact's context with the retrieved knowledge, then the ticket's last messages as the chat.
 */
export function replyPrompt(agent: AiAgentRow, context: ReplyContext, now: Date): ChatCompletionMessageParam[] {
  const chat: ChatCompletionMessageParam[] = context.history.map((message) => {
    const text = messageText(message);
    if (message.direction === "inbound") return { role: "user", content: text };
    return { role: "assistant", content: message.senderType === "ai" ? text : `[person] ${text}` };
  });
  return [
    { role: "system", content: rules(agent, context) },
    { role: "system", content: facts(context, now) },
    ...chat,
  ];
}
