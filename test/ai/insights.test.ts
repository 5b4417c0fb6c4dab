// Ticket insights through the real entry points: the resolve action (and the bot's close) enqueue
// ticket.insights, POST /api/tickets/{id}/insights asks for them; one structured call through the
// real openai SDK against the model fake; GET /api/tickets/{id} shows them.
import { describe, expect, it } from "vitest";
import { modelScope, usageRows } from "../support/ai";
import { call } from "../support/http";
import { metaMessagePayload, postMeta } from "../support/meta";
import { chatCompletion } from "../support/openai-fake";
import { scriptFake } from "../support/provider";
import { conversation, jobsOf } from "../support/scenario";

const INSIGHTS = {
  sentiment: "negative",
  intent: "cancel plan",
  category: "billing",
  urgency: "high",
  churnRisk: "high",
  summary: "A cliente quer cancelar por cobrança duplicada.",
};

async function setup() {
  const model = modelScope();
  const chat = await conversation({ env: model.env });
  const path = `${new URL(model.baseUrl).pathname}/chat/completions`;
  const script = (answer: Record<string, unknown>, usage = { prompt_tokens: 300, completion_tokens: 50 }) =>
    scriptFake(path, [{ status: 200, body: chatCompletion("gpt-4o-mini", JSON.stringify(answer), usage) }]);
  const detail = async () => (await call(`/api/tickets/${chat.ticket.id}`, { token: chat.tenant.token })).body;
  const ask = () =>
    call(`/api/tickets/${chat.ticket.id}/insights`, { method: "POST", token: chat.tenant.token, env: model.env });
  return { ...chat, model, env: model.env, script, detail, ask };
}

describe("ticket insights", () => {
  it("are computed on resolve with one structured call, shown on the ticket, and not computed again for nothing", async () => {
    const t = await setup();
    await t.script(INSIGHTS);
    expect((await t.detail()).insights).toBeNull();
    const resolved = await call(`/api/tickets/${t.ticket.id}/resolve`, {
      method: "POST",
      token: t.tenant.token,
      env: t.env,
    });
    expect(resolved.status, resolved.text).toBe(200);
    const requests = await t.model.requests();
    expect(requests).toHaveLength(1);
    const sent = requests[0] as unknown as {
      model: string;
      temperature: number;
      messages: { content: string }[];
      response_format: { type: string; json_schema: { name: string } };
    };
    expect(sent.model).toBe("gpt-4o-mini");
    expect(sent.response_format).toMatchObject({ type: "json_schema", json_schema: { name: "ticket_insights" } });
    expect(sent.messages.at(-1)?.content).toContain("Customer: Oi!");
    const detail = await t.detail();
    expect(detail.insights, JSON.stringify(detail)).toMatchObject({
      ...INSIGHTS,
      model: "gpt-4o-mini",
      trigger: "resolve",
    });
    const usage = (await usageRows(t.tenant.organizationId)).map((u) => [
      u.purpose,
      u.promptTokens,
      u.completionTokens,
    ]);
    expect(usage).toEqual([["insights", 300, 50]]);

    // Nothing new since: asked again, the stored insights answer at once, no model call.
    const again = await t.ask();
    expect(again.status, again.text).toBe(200);
    expect(again.body).toMatchObject({ status: "current", jobId: null, insights: { sentiment: "negative" } });
    expect(await t.model.requests()).toHaveLength(1);
  });

  it("are computed on demand: 202 and a job, then current with 200", async () => {
    const t = await setup();
    await t.script({ ...INSIGHTS, sentiment: "positive", churnRisk: "low", urgency: "low", intent: "price quote" });
    const asked = await t.ask();
    expect(asked.status, asked.text).toBe(202);
    expect(asked.body).toMatchObject({ status: "queued", insights: null });
    expect(typeof asked.body.jobId).toBe("string");
    const jobs = (await jobsOf(t.tenant.organizationId)).filter((j) => j.name === "ticket.insights");
    expect(jobs.map((j) => [j.id, j.status])).toEqual([[asked.body.jobId, "done"]]);
    expect((await t.detail()).insights).toMatchObject({
      sentiment: "positive",
      intent: "price quote",
      trigger: "request",
    });

    const current = await t.ask();
    expect(current.status, current.text).toBe(200);
    expect(current.body.status).toBe("current");

    // A new message makes them stale: asked again, they are computed again over it.
    const more = await postMeta(
      t.channel.id,
      t.config.appSecret,
      metaMessagePayload(t.phoneNumberId, { type: "text", text: { body: "na verdade quero cancelar" } }),
      { env: t.env },
    );
    expect(more.status, more.text).toBe(200);
    await t.script(INSIGHTS);
    expect((await t.ask()).status).toBe(202);
    expect((await t.detail()).insights).toMatchObject({ sentiment: "negative", intent: "cancel plan" });
    const requests = await t.model.requests();
    expect(requests).toHaveLength(2);
    expect(requests[1]?.messages.at(-1)?.content).toContain("Customer: na verdade quero cancelar");
  });

  it("without model access: nothing is queued on resolve, and asking is a 409", async () => {
    const chat = await conversation();
    const resolved = await call(`/api/tickets/${chat.ticket.id}/resolve`, { method: "POST", token: chat.tenant.token });
    expect(resolved.status, resolved.text).toBe(200);
    expect((await jobsOf(chat.tenant.organizationId)).some((j) => j.name === "ticket.insights")).toBe(false);
    const asked = await call(`/api/tickets/${chat.ticket.id}/insights`, { method: "POST", token: chat.tenant.token });
    expect(asked.status, asked.text).toBe(409);
    expect(asked.headers.get("content-type")).toContain("application/problem+json");
    const missing = await call(`/api/tickets/${crypto.randomUUID()}/insights`, {
      method: "POST",
      token: chat.tenant.token,
    });
    expect(missing.status).toBe(404);
  });
});
