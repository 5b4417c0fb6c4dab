// The knowledge base through the real entry points: articles written by the API, chunked and
// embedded by knowledge.embed through the real openai SDK against the loopback fake (whose
// embeddings are deterministic bags of words), retrieved into the AI agent's prompt.
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { knowledgeChunks, ticketHistory } from "@/db/schema";
import { botConversation, modelScope, usageRows } from "../support/ai";
import { withDb } from "../support/db";
import { createTenant } from "../support/fixtures";
import { call, runScheduled } from "../support/http";
import { fakeRequests, scriptFake } from "../support/provider";
import { jobsOf, makeDue } from "../support/scenario";

const DELIVERY = {
  title: "Prazo de entrega",
  content:
    "Entregamos para todo o Brasil. O prazo de entrega é de cinco dias úteis após a confirmação do pagamento; para Recife e demais capitais do Nordeste, sete dias úteis. O frete é grátis acima de R$ 500.",
  tags: ["logistica"],
};
const HOURS = {
  title: "Horário da loja física",
  content:
    "Nossa loja física em Curitiba abre de segunda a sábado, das nove às dezoito horas. Estacionamento gratuito.",
  tags: ["loja"],
};

const embeddingPath = (baseUrl: string) => `${new URL(baseUrl).pathname}/embeddings`;

async function setup() {
  const model = modelScope();
  const tenant = await createTenant();
  const post = (json: unknown) => call("/api/knowledge", { token: tenant.token, json, env: model.env });
  const embedCalls = async () => (await fakeRequests(embeddingPath(model.baseUrl))).length;
  return { model, tenant, post, embedCalls };
}

describe("knowledge articles", () => {
  it("are chunked and embedded once by a job, listed, edited, and re-embedded only when the text changes", async () => {
    const t = await setup();
    const created = await t.post(DELIVERY);
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ title: DELIVERY.title, tags: ["logistica"], status: "pending", chunks: 0 });
    const id = created.body.id as string;

    const got = await call(`/api/knowledge/${id}`, { token: t.tenant.token });
    expect(got.body).toMatchObject({ status: "embedded", chunks: 1, embeddingModel: "text-embedding-3-small" });
    expect(await t.embedCalls()).toBe(1);
    const [usage] = await usageRows(t.tenant.organizationId);
    expect(usage).toMatchObject({ purpose: "embed", model: "text-embedding-3-small", completionTokens: 0 });
    expect(usage?.promptTokens).toBeGreaterThan(10);
    const [chunk] = await withDb((db) => db.select().from(knowledgeChunks).where(eq(knowledgeChunks.articleId, id)));
    expect(chunk).toMatchObject({ ordinal: 0, dimensions: 256 });
    expect(chunk?.embedding.byteLength).toBe(256 * 4);
    expect(chunk?.bits).toMatch(/^[01]{256}$/);

    await t.post(HOURS);
    const byTag = await call("/api/knowledge?tag=loja", { token: t.tenant.token });
    expect(byTag.body.data.map((a: { title: string }) => a.title)).toEqual([HOURS.title]);
    const byText = await call(`/api/knowledge?q=${encodeURIComponent("frete")}`, { token: t.tenant.token });
    expect(byText.body.data.map((a: { title: string }) => a.title)).toEqual([DELIVERY.title]);
    const page = await call("/api/knowledge?limit=1", { token: t.tenant.token });
    expect(page.body.data).toHaveLength(1);
    const next = await call(`/api/knowledge?limit=1&cursor=${page.body.nextCursor}`, { token: t.tenant.token });
    expect(next.body.data[0].title).toBe(DELIVERY.title);
    expect(next.body.nextCursor).toBeNull();

    const calls = await t.embedCalls();
    const retag = await call(`/api/knowledge/${id}`, {
      method: "PATCH",
      token: t.tenant.token,
      json: { tags: ["logistica", "frete"] },
      env: t.model.env,
    });
    expect(retag.status, retag.text).toBe(200);
    expect(retag.body).toMatchObject({ status: "embedded", tags: ["logistica", "frete"] });
    expect(await t.embedCalls()).toBe(calls);

    const longer = `${DELIVERY.content}\n\n${"Rastreamos cada pedido pelo código enviado por e-mail. ".repeat(40)}`;
    const edited = await call(`/api/knowledge/${id}`, {
      method: "PATCH",
      token: t.tenant.token,
      json: { content: longer },
      env: t.model.env,
    });
    expect(edited.status, edited.text).toBe(200);
    expect(await t.embedCalls()).toBe(calls + 1);
    const after = await call(`/api/knowledge/${id}`, { token: t.tenant.token });
    expect(after.body.status).toBe("embedded");
    expect(after.body.chunks).toBeGreaterThan(1);
    const ordinals = await withDb((db) =>
      db.select({ o: knowledgeChunks.ordinal }).from(knowledgeChunks).where(eq(knowledgeChunks.articleId, id)),
    );
    expect(ordinals.map((r) => r.o).sort()).toEqual([...Array(after.body.chunks).keys()]);

    const removed = await call(`/api/knowledge/${id}`, { method: "DELETE", token: t.tenant.token });
    expect(removed.status).toBe(204);
    expect((await call(`/api/knowledge/${id}`, { token: t.tenant.token })).status).toBe(404);
    expect(
      await withDb((db) => db.select().from(knowledgeChunks).where(eq(knowledgeChunks.articleId, id))),
    ).toHaveLength(0);
  });

  it("refuses bad input with problem+json and stores nothing", async () => {
    const t = await setup();
    for (const body of [{ title: "", content: "x" }, { title: "t" }, { title: "t", content: "x", tags: "frete" }]) {
      const refused = await t.post(body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.headers.get("content-type")).toContain("application/problem+json");
    }
    const empty = await call("/api/knowledge", {
      method: "PATCH",
      token: t.tenant.token,
      json: {},
    });
    expect(empty.status).not.toBe(200);
    expect((await call("/api/knowledge", { token: t.tenant.token })).body.data).toHaveLength(0);
  });

  it("are the organization's own", async () => {
    const t = await setup();
    const created = await t.post(DELIVERY);
    const other = await createTenant();
    const id = created.body.id as string;
    expect((await call(`/api/knowledge/${id}`, { token: other.token })).status).toBe(404);
    expect((await call(`/api/knowledge/${id}`, { method: "DELETE", token: other.token })).status).toBe(404);
    expect((await call("/api/knowledge", { token: other.token })).body.data).toHaveLength(0);
    const search = await call("/api/knowledge/search", {
      token: other.token,
      json: { query: "prazo de entrega" },
      env: modelScope().env,
    });
    expect(search.status, search.text).toBe(200);
    expect(search.body.data).toEqual([]);
  });

  it("wait for model access without queueing anything, then a reindex embeds them", async () => {
    const t = await setup();
    const created = await call("/api/knowledge", { token: t.tenant.token, json: DELIVERY });
    expect(created.status, created.text).toBe(201);
    expect(await jobsOf(t.tenant.organizationId)).toHaveLength(0);
    const refused = await call("/api/knowledge/reindex", { method: "POST", token: t.tenant.token });
    expect(refused.status).toBe(409);
    const reindexed = await call("/api/knowledge/reindex", { method: "POST", token: t.tenant.token, env: t.model.env });
    expect(reindexed.status, reindexed.text).toBe(202);
    expect(reindexed.body).toEqual({ queued: 1 });
    expect((await call(`/api/knowledge/${created.body.id}`, { token: t.tenant.token })).body.status).toBe("embedded");
    const again = await call("/api/knowledge/reindex", { method: "POST", token: t.tenant.token, env: t.model.env });
    expect(again.body).toEqual({ queued: 0 });
  });

  it("retries an embedding refused with 429 through the job and stores the chunks once", async () => {
    const t = await setup();
    await scriptFake(embeddingPath(t.model.baseUrl), [
      {
        status: 429,
        body: { error: { message: "Rate limit reached", type: "requests" } },
        headers: { "retry-after": "5" },
      },
    ]);
    const created = await t.post(DELIVERY);
    const [job] = (await jobsOf(t.tenant.organizationId)).filter((j) => j.name === "knowledge.embed");
    expect(job).toMatchObject({ status: "failed", attempts: 1 });
    expect((await call(`/api/knowledge/${created.body.id}`, { token: t.tenant.token })).body.status).toBe("pending");
    await makeDue(t.tenant.organizationId);
    await runScheduled({ env: t.model.env });
    const done = (await jobsOf(t.tenant.organizationId)).filter((j) => j.name === "knowledge.embed");
    expect(done.map((j) => [j.status, j.attempts])).toEqual([["done", 2]]);
    expect((await call(`/api/knowledge/${created.body.id}`, { token: t.tenant.token })).body).toMatchObject({
      status: "embedded",
      chunks: 1,
    });
  });
});

describe("retrieval", () => {
  it("search ranks the article that answers the question first", async () => {
    const t = await setup();
    await t.post(DELIVERY);
    await t.post(HOURS);
    const found = await call("/api/knowledge/search", {
      token: t.tenant.token,
      json: { query: "Qual o horário da loja em Curitiba?" },
      env: t.model.env,
    });
    expect(found.status, found.text).toBe(200);
    expect(found.body.data[0]).toMatchObject({ title: HOURS.title });
    expect(found.body.data[0].score).toBeGreaterThan(found.body.data[1]?.score ?? -1);
  });

  it("puts the right article in the bot's prompt, leaves the unrelated one out, and records what it used", async () => {
    const bot = await botConversation();
    const post = (json: unknown) => call("/api/knowledge", { token: bot.tenant.token, json, env: bot.env });
    const delivery = await post(DELIVERY);
    await post(HOURS);
    await bot.model.script([{ reply: "O prazo para Recife é de sete dias úteis." }]);
    await bot.send("Oi! Qual o prazo de entrega para Recife?");
    const [request] = await bot.model.requests();
    const system = (request?.messages ?? [])
      .filter((m) => m.role === "system")
      .map((m) => m.content)
      .join("\n");
    expect(system).toContain("sete dias úteis");
    expect(system).toContain(DELIVERY.title);
    expect(system).not.toContain(HOURS.title);

    const ticketId = await bot.ticketId();
    const used = await withDb((db) =>
      db
        .select()
        .from(ticketHistory)
        .where(and(eq(ticketHistory.ticketId, ticketId), eq(ticketHistory.action, "ai_knowledge_used"))),
    );
    expect(used).toHaveLength(1);
    const sources = used[0]?.changes.knowledge?.after as { articleId: string; score: number }[];
    expect(sources.map((s) => s.articleId)).toEqual([delivery.body.id]);
    const purposes = (await usageRows(bot.tenant.organizationId)).map((u) => u.purpose).sort();
    expect(purposes).toEqual(["embed", "embed", "embed", "reply"]);
  });

  it("costs no embedding when the organization has no articles, or when the agent does not use knowledge", async () => {
    const bot = await botConversation({ agent: { knowledge: false } });
    await call("/api/knowledge", { token: bot.tenant.token, json: DELIVERY, env: bot.env });
    await bot.send("Qual o prazo de entrega?");
    const [request] = await bot.model.requests();
    expect(JSON.stringify(request?.messages)).not.toContain(DELIVERY.title);
    expect((await usageRows(bot.tenant.organizationId)).map((u) => u.purpose).sort()).toEqual(["embed", "reply"]);

    const empty = await botConversation();
    await empty.send("Qual o prazo de entrega?");
    expect((await usageRows(empty.tenant.organizationId)).map((u) => u.purpose)).toEqual(["reply"]);
  });
});
