// The AI agent under test: an organization with a Meta channel, an AI agent on it, and a model
// scope of its own on the loopback OpenAI-compatible fake (the real openai SDK talks to it).
import { and, eq } from "drizzle-orm";
import { inject } from "vitest";
import { aiTicketState, aiUsage, messages, outbox } from "@/db/schema";
import { withDb } from "./db";
import { createTenant, unique } from "./fixtures";
import { call, runScheduled } from "./http";
import { metaMessagePayload, postMeta } from "./meta";
import { chatCompletion } from "./openai-fake";
import { createChannel, fakeRequests, scriptFake } from "./provider";

export type ModelAnswer = {
  reply?: string;
  action?: "reply" | "handoff" | "close";
  lead?: Record<string, unknown> | null;
  usage?: { prompt_tokens: number; completion_tokens: number };
  delayMs?: number;
};

/** A scope of the model fake: its base URL (what OPENAI_BASE_URL or an integration points at). */
export function modelScope() {
  const scope = unique("m");
  const baseUrl = `${inject("fakesUrl")}/openai/${scope}/v1`;
  const chatPath = `/openai/${scope}/v1/chat/completions`;
  return {
    baseUrl,
    env: { OPENAI_API_KEY: "sk-test-deployment", OPENAI_BASE_URL: baseUrl },
    /** The next answers of the model, in order (a structured reply, or an HTTP failure). */
    script: (
      answers: (ModelAnswer | { status: number; body?: unknown; headers?: Record<string, string>; delayMs?: number })[],
    ) =>
      scriptFake(
        chatPath,
        answers.map((answer) =>
          "status" in answer
            ? answer
            : {
                status: 200,
                delayMs: answer.delayMs,
                body: chatCompletion(
                  "gpt-4o-mini",
                  JSON.stringify({
                    reply: answer.reply ?? "",
                    action: answer.action ?? "reply",
                    lead: answer.lead ?? null,
                  }),
                  answer.usage,
                ),
              },
        ),
      ),
    /** The chat completion requests the model got, their bodies parsed. */
    requests: async () =>
      (await fakeRequests(chatPath)).map(
        (r) => JSON.parse(r.body) as { model: string; messages: { role: string; content: string }[] },
      ),
  };
}

/** An organization with a WhatsApp (Meta) channel covered by an AI agent, and a customer to write from it. */
export async function botConversation(
  options: { agent?: Record<string, unknown>; queue?: boolean; env?: Record<string, unknown> } = {},
) {
  const model = modelScope();
  const env = { ...model.env, ...options.env };
  const tenant = await createTenant();
  const queue = options.queue
    ? await call("/api/queues", { token: tenant.token, json: { name: unique("Vendas ") } })
    : undefined;
  const phoneNumberId = unique("pn");
  const config = { phoneNumberId, accessToken: "EAAG-test", appSecret: unique("secret"), verifyToken: "v" };
  const channel = await createChannel(tenant.token, { type: "whatsapp_meta", config });
  const created = await call("/api/ai/agents", {
    token: tenant.token,
    json: {
      name: "Sofia",
      instructions: "Você é a Sofia, SDR da Acme. Qualifique o lead e responda sobre nossos produtos.",
      channelIds: [channel.id],
      debounceSeconds: 0,
      ...(queue ? { handoffQueueId: queue.body.id } : {}),
      ...options.agent,
    },
  });
  if (created.status !== 201) throw new Error(`agent create failed: ${created.status} ${created.text}`);
  const from = `55119${Math.floor(10_000_000 + Math.random() * 89_999_999)}`;
  const send = (text: string) =>
    postMeta(
      channel.id,
      config.appSecret,
      metaMessagePayload(phoneNumberId, { type: "text", text: { body: text }, from }),
      {
        env,
      },
    );
  const ticketId = async () => {
    const list = await call(`/api/tickets?channelId=${channel.id}`, { token: tenant.token });
    return list.body.data[0]?.id as string;
  };
  return {
    tenant,
    channel,
    config,
    agent: created.body as { id: string },
    queueId: queue?.body.id as string | undefined,
    model,
    env,
    send,
    ticketId,
    graphPrefix: `/meta/v21.0/${phoneNumberId}/`,
    /** Runs the cron once, as the deployment's scheduler would (delayed and retried jobs). */
    tick: () => runScheduled({ env }),
  };
}

/** The bot's messages on a ticket, oldest first. */
export const botMessages = (ticketId: string) =>
  withDb((db) =>
    db
      .select()
      .from(messages)
      .where(and(eq(messages.ticketId, ticketId), eq(messages.senderType, "ai")))
      .orderBy(messages.id),
  );

export const aiJobs = (organizationId: string) =>
  withDb((db) =>
    db
      .select()
      .from(outbox)
      .where(and(eq(outbox.organizationId, organizationId), eq(outbox.name, "ai.reply")))
      .orderBy(outbox.id),
  );

export const usageRows = (organizationId: string) =>
  withDb((db) => db.select().from(aiUsage).where(eq(aiUsage.organizationId, organizationId)));

export const botState = (ticketId: string) =>
  withDb(async (db) => (await db.select().from(aiTicketState).where(eq(aiTicketState.ticketId, ticketId)))[0]);
