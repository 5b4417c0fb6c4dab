// The reply loop through the real entry points: Meta webhooks in, the ai.reply job, the real
// openai SDK against the loopback model fake, replies out through the Meta send job.
import { describe, expect, it } from "vitest";
import { botConversation, botMessages, botState, usageRows } from "../support/ai";
import { call } from "../support/http";
import { fakeRequests } from "../support/provider";

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
    expect(requests[0]?.messages.at(-1)).toEqual({ role: "user", content: "Olá, quero saber preços" });
    expect(requests[0]?.messages[0]?.content).toContain("Você é a Sofia");
    const replies = await botMessages(ticketId);
    expect(replies.map((m) => [m.body, m.senderType, m.status])).toEqual([
      ["Oi! Sou a Sofia, da Acme. Em que posso ajudar?", "ai", "sent"],
    ]);
    const sent = await fakeRequests(bot.graphPrefix);
    expect(sent.map((r) => JSON.parse(r.body).text.body)).toEqual(["Oi! Sou a Sofia, da Acme. Em que posso ajudar?"]);
    const ticket = await call(`/api/tickets/${ticketId}`, { token: bot.tenant.token });
    expect(ticket.body.assigneeId).toBeNull();
    expect((await botState(ticketId))?.enabled).toBe(true);
    expect(
      (await usageRows(bot.tenant.organizationId)).map((u) => [u.purpose, u.promptTokens, u.completionTokens]),
    ).toEqual([["reply", 200, 40]]);
  });
});
