// The AI agent's `lead` output through the real reply loop (Meta webhook in, ai.reply job, the
// openai SDK against the model fake): the contact's lead, its temperature history, hot leads.
import { describe, expect, it } from "vitest";
import { botConversation, botState } from "../support/ai";
import { call, runScheduled } from "../support/http";
import { fakeRequests } from "../support/provider";
import { connectPipeRun, events, eventsWebhook, jobsNamed, rerun } from "./support";

// Revealed: lists mask e-mails by default, and these tests read what the bot stored.
const leadOf = async (token: string) => {
  const list = await call("/api/leads?reveal=true", { token });
  expect(list.status, list.text).toBe(200);
  expect(list.body.data, list.text).toHaveLength(1);
  return list.body.data[0];
};

describe("leads from the AI agent's replies", () => {
  it("merges every reply into the contact's one lead, never erasing a known field, recording temperature changes", async () => {
    const bot = await botConversation();
    await bot.model.script([
      { reply: "Olá Ana!", lead: { name: "Ana", company: "Acme", interest: "FBM100", temperature: "cold" } },
      { reply: "Anotado.", lead: { name: null, company: "", email: "ana@acme.com", temperature: "warm" } },
      { reply: "Certo.", lead: null },
    ]);
    expect((await bot.send("Oi, sou a Ana da Acme, quero a FBM100")).status).toBe(200);
    expect((await bot.send("meu email é ana@acme.com")).status).toBe(200);
    expect((await bot.send("obrigada")).status).toBe(200);
    expect(await bot.model.requests()).toHaveLength(3);
    const ticketId = await bot.ticketId();

    const lead = await leadOf(bot.tenant.token);
    expect(lead).toMatchObject({
      name: "Ana",
      company: "Acme",
      email: "ana@acme.com",
      interest: "FBM100",
      temperature: "warm",
      status: "new",
      ticketId,
      source: "ai",
    });
    expect(lead.companyId).toEqual(expect.any(String));
    // warm 40 + 5 for each of name, company, email, interest.
    expect(lead.score).toBe(60);

    const detail = await call(`/api/leads/${lead.id}`, { token: bot.tenant.token });
    expect(detail.status, detail.text).toBe(200);
    expect(
      detail.body.temperatureHistory.map((h: Record<string, unknown>) => [h.from, h.to, h.ticketId, h.actorType]),
    ).toEqual([
      [null, "cold", ticketId, "ai"],
      ["cold", "warm", ticketId, "ai"],
    ]);
    // No quote without a quantity.
    const quotes = await call(`/api/leads/${lead.id}/quotes`, { token: bot.tenant.token });
    expect(quotes.body.data).toEqual([]);
  });

  it("a lead turning hot: lead.hot on the events webhook, a hand-off, a draft quote and one PipeRun deal", async () => {
    const bot = await botConversation({ queue: true });
    const hook = await eventsWebhook(bot.tenant.token);
    const piperun = await connectPipeRun(bot.tenant.token);
    const test = await call("/api/integrations/piperun/test", { method: "POST", token: bot.tenant.token });
    expect(test.body, test.text).toMatchObject({ ok: true, latencyMs: expect.any(Number) });

    await bot.model.script([
      { reply: "Temos sim!", lead: { name: "Bruno", interest: "FBM100", temperature: "warm" } },
      {
        reply: "Perfeito, 10 unidades da FBM100.",
        lead: { quantity: "10", urgency: "esta semana", temperature: "hot" },
      },
    ]);
    await bot.send("vocês têm a FBM100?");
    await bot.send("quero 10 para esta semana");
    const ticketId = await bot.ticketId();

    const state = await botState(ticketId);
    expect([state?.enabled, state?.handoffReason]).toEqual([false, "hot_lead"]);
    const ticket = await call(`/api/tickets/${ticketId}`, { token: bot.tenant.token });
    expect(ticket.body.queueId).toBe(bot.queueId);

    const lead = await leadOf(bot.tenant.token);
    expect(lead).toMatchObject({ temperature: "hot", status: "qualified", quantity: "10", hotAt: expect.any(String) });
    const hot = (await events(hook)).filter((e) => e.type === "lead.hot");
    expect(hot).toHaveLength(1);
    expect(hot[0]?.data).toMatchObject({ leadId: lead.id, ticketId, interest: "FBM100", quantity: "10", by: "ai" });

    const quotes = await call(`/api/leads/${lead.id}/quotes`, { token: bot.tenant.token });
    expect(quotes.body.data, quotes.text).toEqual([
      expect.objectContaining({
        source: "ai",
        status: "draft",
        ticketId,
        quantity: "10",
        items: [{ description: "FBM100", quantity: "10", unitPrice: null }],
      }),
    ]);

    const deals = () => fakeRequests(`${piperun.prefix}deals`);
    expect(await deals()).toHaveLength(1);
    const [deal] = await deals();
    expect(deal?.headers.token).toBe("pr-token");
    expect(JSON.parse(deal?.body ?? "{}")).toMatchObject({
      title: expect.stringContaining("Bruno"),
      pipeline_id: 10,
      stage_id: 20,
      person: { name: "Bruno" },
    });

    // A redelivery of the deal job (a lost acknowledgement, a takeover) finds the deal linked.
    const [job] = await jobsNamed(bot.tenant.organizationId, "crm.piperun.deal");
    expect(job?.status).toBe("done");
    await rerun(job?.id ?? "");
    await runScheduled({ env: bot.env });
    expect((await jobsNamed(bot.tenant.organizationId, "crm.piperun.deal")).map((j) => j.status)).toEqual(["done"]);
    expect(await deals()).toHaveLength(1);

    // A person cools it and heats it again: announced again, still one deal per lead.
    for (const temperature of ["warm", "hot"]) {
      const patch = await call(`/api/leads/${lead.id}`, {
        method: "PATCH",
        token: bot.tenant.token,
        json: { temperature },
      });
      expect(patch.status, patch.text).toBe(200);
    }
    const again = (await events(hook)).filter((e) => e.type === "lead.hot");
    expect(again.map((e) => e.data.by)).toEqual(["ai", "user"]);
    expect(await deals()).toHaveLength(1);
    const history = await call(`/api/leads/${lead.id}`, { token: bot.tenant.token });
    expect(history.body.temperatureHistory.map((h: Record<string, unknown>) => `${h.to}:${h.actorType}`)).toEqual([
      "warm:ai",
      "hot:ai",
      "warm:user",
      "hot:user",
    ]);
  });

  it("retries a PipeRun 5xx through the job and creates the deal once", async () => {
    const bot = await botConversation();
    const piperun = await connectPipeRun(bot.tenant.token);
    const { scriptFake } = await import("../support/provider");
    await scriptFake(`${piperun.prefix}deals`, [
      { status: 503, headers: { "retry-after": "0" } },
      { status: 503, headers: { "retry-after": "0" } },
      { status: 503, headers: { "retry-after": "0" } },
    ]);
    await bot.model.script([{ reply: "Ótimo!", lead: { name: "Caio", temperature: "hot" } }]);
    await bot.send("quero comprar agora");
    const [job] = await jobsNamed(bot.tenant.organizationId, "crm.piperun.deal");
    expect([job?.status, job?.lastError]).toEqual(["failed", expect.stringContaining("PipeRun")]);
    // The customer's reply did not wait for the CRM.
    expect((await fakeRequests(bot.graphPrefix)).length).toBeGreaterThan(0);
    await rerun(job?.id ?? "");
    await runScheduled({ env: bot.env });
    expect((await jobsNamed(bot.tenant.organizationId, "crm.piperun.deal")).map((j) => j.status)).toEqual(["done"]);
    const deals = await fakeRequests(`${piperun.prefix}deals`);
    expect(deals.map((r) => r.method)).toEqual(["POST", "POST", "POST", "POST"]);
  });

  it("PipeRun /test reports a refused token without showing it", async () => {
    const bot = await botConversation();
    await connectPipeRun(bot.tenant.token, "bad-token");
    const test = await call("/api/integrations/piperun/test", { method: "POST", token: bot.tenant.token });
    expect(test.body, test.text).toMatchObject({ ok: false, error: expect.any(String) });
    const list = await call("/api/integrations", { token: bot.tenant.token });
    expect(list.text).not.toContain("bad-token");
    expect(list.body.data.find((i: { provider: string }) => i.provider === "piperun")).toMatchObject({
      configured: true,
      secrets: { apiToken: true },
    });
  });
});
