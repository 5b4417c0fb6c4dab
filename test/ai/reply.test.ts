// The reply loop through the real entry points: Meta webhooks in, the ai.reply job, the real
// openai SDK against the loopback model fake, replies out through the Meta send job.
import { describe, expect, it } from "vitest";
import { aiJobs, botConversation, botMessages, botState, usageRows } from "../support/ai";
import { createMember } from "../support/helpdesk";
import { call } from "../support/http";
import { metaStatusPayload, postMeta } from "../support/meta";
import { fakeRequests } from "../support/provider";
import { jobsOf, makeDue } from "../support/scenario";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Detail = { assigneeId: string | null; queueId: string | null; status: string; history: History[] };
type History = { action: string; actorType: string; changes: Record<string, { before: unknown; after: unknown }> };

const detail = async (token: string, ticketId: string) =>
  (await call<Detail>(`/api/tickets/${ticketId}`, { token })).body;

describe("AI reply loop", () => {
  it("answers an inbound text with one model call and sends the reply as the bot's", async () => {
    const bot = await botConversation();
    await bot.model.script([
      { reply: "Oi! Sou a Sofia, da Acme. Em que posso ajudar?", usage: { prompt_tokens: 200, completion_tokens: 40 } },
    ]);
    const res = await bot.send("Olá, quero saber preços");
    expect(res.status, res.text).toBe(200);
    const ticketId = await bot.ticketId();
    const requests = await bot.model.requests();
    expect(requests).toHaveLength(1);
    expect(requests[0]?.model).toBe("gpt-4o-mini");
    expect(requests[0]?.messages.at(-1)).toEqual({ role: "user", content: "Olá, quero saber preços" });
    expect(requests[0]?.messages[0]?.content).toContain("Você é a Sofia");
    const replies = await botMessages(ticketId);
    expect(replies.map((m) => [m.body, m.senderType, m.status])).toEqual([
      ["Oi! Sou a Sofia, da Acme. Em que posso ajudar?", "ai", "sent"],
    ]);
    const sent = await fakeRequests(bot.graphPrefix);
    expect(sent.map((r) => JSON.parse(r.body).text.body)).toEqual(["Oi! Sou a Sofia, da Acme. Em que posso ajudar?"]);
    expect((await detail(bot.tenant.token, ticketId)).assigneeId).toBeNull();
    expect((await botState(ticketId))?.enabled).toBe(true);
    expect(
      (await usageRows(bot.tenant.organizationId)).map((u) => [u.purpose, u.promptTokens, u.completionTokens]),
    ).toEqual([["reply", 200, 40]]);

    // The bot's own message coming back as a delivery status is not something to answer.
    const status = await postMeta(
      bot.channel.id,
      bot.config.appSecret,
      metaStatusPayload(bot.config.phoneNumberId, replies[0]?.providerMessageId ?? "", "delivered"),
      { env: bot.env },
    );
    expect(status.status, status.text).toBe(200);
    expect(await aiJobs(bot.tenant.organizationId)).toHaveLength(1);
    expect(await bot.model.requests()).toHaveLength(1);
  });

  it("answers three quick messages with one model call that sees all of them, and one reply", async () => {
    const bot = await botConversation({ agent: { debounceSeconds: 1 } });
    await bot.model.script([{ reply: "Claro! Temos o modelo X por R$ 100." }]);
    for (const text of ["oi", "queria saber", "quanto custa o modelo X?"]) {
      expect((await bot.send(text)).status).toBe(200);
    }
    const ticketId = await bot.ticketId();
    // Nothing runs before the quiet period: the jobs wait for their time, also through the cron.
    await bot.tick();
    expect(await bot.model.requests()).toHaveLength(0);
    expect((await aiJobs(bot.tenant.organizationId)).map((j) => j.status)).toEqual(["pending", "pending", "pending"]);
    await sleep(1100);
    await bot.tick();
    const requests = await bot.model.requests();
    expect(requests).toHaveLength(1);
    expect(requests[0]?.messages.slice(-3)).toEqual([
      { role: "user", content: "oi" },
      { role: "user", content: "queria saber" },
      { role: "user", content: "quanto custa o modelo X?" },
    ]);
    expect((await botMessages(ticketId)).map((m) => m.body)).toEqual(["Claro! Temos o modelo X por R$ 100."]);
    expect((await aiJobs(bot.tenant.organizationId)).map((j) => j.status)).toEqual(["done", "done", "done"]);
    await makeDue(bot.tenant.organizationId);
    await bot.tick();
    expect(await bot.model.requests()).toHaveLength(1);
  });

  it("answers a message that arrives while a reply is being generated with the next reply", async () => {
    const bot = await botConversation();
    await bot.model.script([
      { reply: "Temos sim, o modelo X.", delayMs: 1500 },
      { reply: "Entregamos em São Paulo em 2 dias." },
    ]);
    const first = bot.send("vocês têm o modelo X?");
    await sleep(600);
    expect((await bot.send("e entregam em SP?")).status).toBe(200);
    expect((await first).status).toBe(200);
    const ticketId = await bot.ticketId();
    const requests = await bot.model.requests();
    expect(requests).toHaveLength(2);
    expect(requests[0]?.messages.map((m) => m.content)).not.toContain("e entregam em SP?");
    expect(requests[1]?.messages.slice(-3)).toEqual([
      { role: "user", content: "vocês têm o modelo X?" },
      { role: "assistant", content: "Temos sim, o modelo X." },
      { role: "user", content: "e entregam em SP?" },
    ]);
    expect((await botMessages(ticketId)).map((m) => m.body)).toEqual([
      "Temos sim, o modelo X.",
      "Entregamos em São Paulo em 2 dias.",
    ]);
    // The second message's job found the first reply being written and left it to the follow-up.
    const jobs = await aiJobs(bot.tenant.organizationId);
    expect(jobs.map((j) => j.status)).toEqual(["done", "done", "done"]);
    expect(jobs[2]?.dedupeKey).toBe(`ai.reply:followup:${jobs[1]?.payload.messageId}`);
  });

  it("hands off on the model's action: moves the ticket to the hand-off queue and stays silent, also after resolve and reopen", async () => {
    const bot = await botConversation({ queue: true });
    await bot.model.script([{ reply: "Vou chamar um especialista para fazer seu orçamento.", action: "handoff" }]);
    await bot.send("preciso de um orçamento para 500 unidades");
    const ticketId = await bot.ticketId();
    expect((await botMessages(ticketId)).map((m) => m.body)).toEqual([
      "Vou chamar um especialista para fazer seu orçamento.",
    ]);
    const handedOff = await detail(bot.tenant.token, ticketId);
    expect(handedOff.queueId).toBe(bot.queueId);
    expect(handedOff.history.find((h) => h.action === "handed_off")).toMatchObject({
      actorType: "ai",
      changes: { reason: { after: "model_handoff" }, queueId: { before: null, after: bot.queueId } },
    });
    expect(await botState(ticketId)).toMatchObject({ enabled: false, handoffReason: "model_handoff" });
    expect((await jobsOf(bot.tenant.organizationId)).some((j) => j.name === "ticket.assign")).toBe(true);

    await bot.send("alô?");
    const resolved = await call(`/api/tickets/${ticketId}/resolve`, { method: "POST", token: bot.tenant.token });
    expect(resolved.status, resolved.text).toBe(200);
    await bot.send("voltei, ainda quero o orçamento");
    expect((await detail(bot.tenant.token, ticketId)).status).toBe("open");
    await makeDue(bot.tenant.organizationId);
    await bot.tick();
    expect(await bot.model.requests()).toHaveLength(1);
    expect(await botMessages(ticketId)).toHaveLength(1);
    expect(await aiJobs(bot.tenant.organizationId)).toHaveLength(1);
  });

  it("hands off without a model call when the customer asks for a person, in their language", async () => {
    const bot = await botConversation();
    await bot.send("Quero falar com um atendente, por favor");
    const ticketId = await bot.ticketId();
    expect(await bot.model.requests()).toHaveLength(0);
    const [handoff] = await botMessages(ticketId);
    expect(handoff?.body).toContain("Vou transferir você para uma pessoa");
    expect(await botState(ticketId)).toMatchObject({ enabled: false, handoffReason: "contact_asked" });
  });

  it("is handed the ticket back with POST /api/tickets/{id}/ai, answers what is waiting, and is silenced again", async () => {
    const bot = await botConversation();
    await bot.send("I want to talk to a human");
    const ticketId = await bot.ticketId();
    expect((await botMessages(ticketId)).map((m) => m.body)).toEqual([
      "I'm handing you over to a member of our team. Someone will continue the conversation here shortly.",
    ]);
    await bot.send("actually, what are your opening hours?");
    expect(await bot.model.requests()).toHaveLength(0);

    await bot.model.script([{ reply: "We are open 9 to 6, Monday to Friday." }]);
    const back = await call(`/api/tickets/${ticketId}/ai`, {
      token: bot.tenant.token,
      env: bot.env,
      json: { enabled: true },
    });
    expect(back.status, back.text).toBe(200);
    expect(back.body).toMatchObject({ enabled: true, agentId: bot.agent.id, handoffReason: null });
    const requests = await bot.model.requests();
    expect(requests).toHaveLength(1);
    expect(requests[0]?.messages.at(-1)).toEqual({ role: "user", content: "actually, what are your opening hours?" });
    expect((await botMessages(ticketId)).at(-1)?.body).toBe("We are open 9 to 6, Monday to Friday.");

    const away = await call(`/api/tickets/${ticketId}/ai`, { token: bot.tenant.token, json: { enabled: false } });
    expect(away.status, away.text).toBe(200);
    expect(away.body).toMatchObject({ enabled: false, handoffReason: "taken_by_agent" });
    await bot.send("thanks!");
    expect(await bot.model.requests()).toHaveLength(1);
    const history = (await detail(bot.tenant.token, ticketId)).history.map((h) => h.action);
    expect(history).toEqual(expect.arrayContaining(["handed_off", "ai_enabled", "ai_disabled"]));
  });

  it("resolves the ticket when the model closes the conversation", async () => {
    const bot = await botConversation();
    await bot.model.script([{ reply: "Obrigada pelo contato! Até logo.", action: "close" }]);
    await bot.send("era só isso, obrigado");
    const ticketId = await bot.ticketId();
    const closed = await detail(bot.tenant.token, ticketId);
    expect(closed.status).toBe("resolved");
    expect(closed.history.find((h) => h.action === "resolved")?.actorType).toBe("ai");
    expect((await botMessages(ticketId)).map((m) => m.body)).toEqual(["Obrigada pelo contato! Até logo."]);
    // A new message within the reopen window reopens the ticket, and the bot (never handed off) answers.
    await bot.send("ah, mais uma coisa");
    expect((await detail(bot.tenant.token, ticketId)).status).toBe("open");
    // The reply, the insights the resolve asked for, and the reply after the reopen.
    expect(await bot.model.requests()).toHaveLength(3);
  });

  it("stops when a person answers the customer themselves", async () => {
    const bot = await botConversation();
    await bot.send("oi");
    const ticketId = await bot.ticketId();
    const human = await call(`/api/tickets/${ticketId}/messages`, {
      token: bot.tenant.token,
      json: { type: "text", text: "Oi, aqui é a Ana, do comercial." },
    });
    expect(human.status, human.text).toBe(202);
    await bot.send("oi Ana!");
    expect(await bot.model.requests()).toHaveLength(1);
    expect(await botState(ticketId)).toMatchObject({ enabled: false, handoffReason: "human_replied" });
  });
});

describe("AI usage, budget and lead rules", () => {
  it("records every model call, and the usage report sums the fake's token counts", async () => {
    const bot = await botConversation();
    await bot.model.script([
      { reply: "Oi!", usage: { prompt_tokens: 1000, completion_tokens: 500 } },
      { reply: "Temos sim.", usage: { prompt_tokens: 300, completion_tokens: 100 } },
    ]);
    await bot.send("oi");
    await bot.send("vocês têm estoque?");
    const token = bot.tenant.token;
    const byPurpose = await call(`/api/ai/usage?groupBy=purpose`, { token });
    expect(byPurpose.status, byPurpose.text).toBe(200);
    // gpt-4o-mini at $0.15 / $0.60 per million tokens.
    const total = { calls: 2, promptTokens: 1300, completionTokens: 600, audioSeconds: 0, costUsd: 0.000555 };
    expect(byPurpose.body.total).toEqual(total);
    expect(byPurpose.body.groups).toEqual([{ key: "reply", ...total }]);
    expect((await call(`/api/ai/usage?groupBy=model`, { token })).body.groups).toEqual([
      { key: "gpt-4o-mini", ...total },
    ]);
    const today = new Date().toISOString().slice(0, 10);
    expect((await call(`/api/ai/usage?groupBy=day`, { token })).body.groups).toEqual([{ key: today, ...total }]);
    const lastMonth = await call(`/api/ai/usage?from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z&groupBy=day`, {
      token,
    });
    expect(lastMonth.body.total.calls).toBe(0);
    expect((await call("/api/ai/settings", { token })).body).toMatchObject({ spentThisMonthUsd: 0.000555 });
  });

  it("hands off instead of calling the model once the monthly budget is spent", async () => {
    const bot = await botConversation();
    const token = bot.tenant.token;
    const set = await call("/api/ai/settings", { method: "PATCH", token, json: { monthlyBudgetUsd: 0.0004 } });
    expect(set.status, set.text).toBe(200);
    await bot.model.script([{ reply: "Oi!", usage: { prompt_tokens: 1000, completion_tokens: 500 } }]);
    await bot.send("oi, tudo bem?");
    await bot.send("quero um orçamento");
    const ticketId = await bot.ticketId();
    expect(await bot.model.requests()).toHaveLength(1);
    expect((await botMessages(ticketId)).map((m) => m.body)).toEqual([
      "Oi!",
      "Vou transferir você para uma pessoa da nossa equipe. Em instantes alguém continua a conversa por aqui.",
    ]);
    expect(await botState(ticketId)).toMatchObject({ enabled: false, handoffReason: "budget_exhausted" });
  });

  it("hands a lead that turns hot to people after answering it", async () => {
    const bot = await botConversation();
    await bot.model.script([
      {
        reply: "Perfeito, João! Vou preparar sua proposta para 200 unidades.",
        lead: { name: "João", company: "Padaria Central", quantity: "200", temperature: "hot" },
      },
    ]);
    await bot.send("Sou o João da Padaria Central, quero fechar 200 unidades hoje");
    const ticketId = await bot.ticketId();
    expect((await botMessages(ticketId)).map((m) => m.body)).toEqual([
      "Perfeito, João! Vou preparar sua proposta para 200 unidades.",
      "Vou transferir você para uma pessoa da nossa equipe. Em instantes alguém continua a conversa por aqui.",
    ]);
    expect(await botState(ticketId)).toMatchObject({
      enabled: false,
      handoffReason: "hot_lead",
      lead: { name: "João", company: "Padaria Central", quantity: "200", temperature: "hot" },
    });
  });

  it("keeps the bot's tickets out of auto-assignment until the hand-off, then assigns them", async () => {
    const bot = await botConversation({ queue: true });
    const queueId = bot.queueId as string;
    const channel = await call(`/api/channels/${bot.channel.id}`, {
      method: "PATCH",
      token: bot.tenant.token,
      json: { queueId },
    });
    expect(channel.status, channel.text).toBe(200);
    const member = await createMember(bot.tenant, "agent");
    const online = await call(`/api/agents/${member.userId}`, {
      method: "PATCH",
      token: bot.tenant.token,
      json: { queueIds: [queueId], status: "online" },
    });
    expect(online.status, online.text).toBe(200);
    await bot.send("oi");
    const ticketId = await bot.ticketId();
    await bot.tick();
    expect((await detail(bot.tenant.token, ticketId)).assigneeId).toBeNull();

    await bot.send("quero falar com uma pessoa");
    expect((await detail(bot.tenant.token, ticketId)).assigneeId).toBe(member.userId);
  });
});

describe("AI reply loop under model trouble", () => {
  it("retries a 429 through the job, honouring Retry-After, and replies once", async () => {
    const bot = await botConversation();
    await bot.model.script([
      {
        status: 429,
        body: { error: { message: "Rate limit reached", type: "requests" } },
        headers: { "retry-after": "20" },
      },
      { reply: "Desculpe a demora! Como posso ajudar?" },
    ]);
    await bot.send("oi?");
    const ticketId = await bot.ticketId();
    const [job] = await aiJobs(bot.tenant.organizationId);
    expect(job).toMatchObject({ status: "failed", attempts: 1 });
    expect(job?.lastError).toContain("429");
    expect(job?.nextAttemptAt.getTime()).toBeGreaterThanOrEqual(Date.now() + 15_000);
    expect(await botMessages(ticketId)).toHaveLength(0);
    expect((await botState(ticketId))?.lockedBy).toBeNull();

    await makeDue(bot.tenant.organizationId);
    await bot.tick();
    expect(await bot.model.requests()).toHaveLength(2);
    expect((await botMessages(ticketId)).map((m) => m.body)).toEqual(["Desculpe a demora! Como posso ajudar?"]);
    expect((await aiJobs(bot.tenant.organizationId))[0]).toMatchObject({ status: "done", attempts: 2 });
    expect(await usageRows(bot.tenant.organizationId)).toHaveLength(1);
  });

  it("abandons a model request that takes longer than the timeout and retries it", async () => {
    const bot = await botConversation({ env: { OPENAI_TIMEOUT_SECONDS: "1" } });
    await bot.model.script([{ reply: "lento demais", delayMs: 2500 }, { reply: "Agora sim!" }]);
    await bot.send("alô");
    const ticketId = await bot.ticketId();
    const [job] = await aiJobs(bot.tenant.organizationId);
    expect(job?.status, job?.lastError ?? "").toBe("failed");
    expect(job?.lastError).toContain("too slow");
    await makeDue(bot.tenant.organizationId);
    await bot.tick();
    expect((await botMessages(ticketId)).map((m) => m.body)).toEqual(["Agora sim!"]);
  });

  it("hands off with the error on the ticket's history when the model fails for good; the customer sees no error", async () => {
    const bot = await botConversation();
    await bot.model.script(
      Array.from({ length: 4 }, () => ({ status: 500, body: { error: { message: "The server had an error" } } })),
    );
    await bot.send("bom dia, tudo bem?");
    const ticketId = await bot.ticketId();
    for (let i = 0; i < 3; i++) {
      await makeDue(bot.tenant.organizationId);
      await bot.tick();
    }
    expect((await aiJobs(bot.tenant.organizationId))[0]).toMatchObject({ status: "dead", attempts: 4 });
    expect((await botMessages(ticketId)).map((m) => m.body)).toEqual([
      "Vou transferir você para uma pessoa da nossa equipe. Em instantes alguém continua a conversa por aqui.",
    ]);
    const history = (await detail(bot.tenant.token, ticketId)).history;
    expect(history.find((h) => h.action === "ai_failed")?.changes.error?.after).toContain("500");
    expect(history.find((h) => h.action === "handed_off")?.changes.reason?.after).toBe("model_failed");
    expect(await botState(ticketId)).toMatchObject({ enabled: false, handoffReason: "model_failed" });
  });
});
