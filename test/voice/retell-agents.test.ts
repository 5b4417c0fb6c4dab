// The Retell agents API against a loopback Retell: create (a Retell LLM first, then the agent that
// answers with it), the local mirror, refresh on read, delete at Retell then locally; Retell's
// refusals and outages answered as problem+json.
import { eq } from "drizzle-orm";
import { describe, expect, inject, it } from "vitest";
import { retellAgents } from "@/db/schema";
import { withDb } from "../support/db";
import { createMember, createTenant, unique } from "../support/fixtures";
import { type CallOptions, call } from "../support/http";
import { createChannel, fakeRequests, scriptFake } from "../support/provider";
import { RETELL_LINE } from "../support/voice-agents";

type Scripted = Parameters<typeof scriptFake>[1];

async function setup() {
  const tenant = await createTenant();
  const apiKey = unique("key_");
  const channel = await createChannel(tenant.token, { type: "retell", config: { apiKey, fromNumber: RETELL_LINE } });
  // Every test talks to its own Retell under a unique prefix of the fake.
  const prefix = `/retell/${unique("acct")}`;
  const env = { RETELL_API_URL: `${inject("fakesUrl")}${prefix}` };
  const api = (path: string, options: CallOptions = {}) => call(path, { token: tenant.token, env, ...options });
  const script = (path: string, answers: Scripted) => scriptFake(`${prefix}${path}`, answers);
  const requests = async () =>
    (await fakeRequests(`${prefix}/`)).map((r) => ({ ...r, path: r.path.slice(prefix.length) }));
  return { tenant, channel, apiKey, api, script, requests };
}

const llm = (overrides: Record<string, unknown> = {}) => ({
  llm_id: "llm_234sdertfsdsfsdf",
  version: 0,
  general_prompt: "Você é um vendedor experiente.",
  begin_message: "Olá! Como posso ajudar?",
  model: "gpt-4.1",
  model_temperature: 0.7,
  last_modification_timestamp: 1703413636133,
  ...overrides,
});

const agent = (overrides: Record<string, unknown> = {}) => ({
  agent_id: "oBeDLoLOeuAbiuaMFXRtDOLriTJ5tSxD",
  version: 0,
  agent_name: "Vendas",
  voice_id: "11labs-Adrian",
  language: "pt-BR",
  response_engine: { type: "retell-llm", llm_id: "llm_234sdertfsdsfsdf", version: 0 },
  last_modification_timestamp: 1703413636133,
  ...overrides,
});

const newAgent = {
  name: "Vendas",
  voiceId: "11labs-Adrian",
  prompt: "Você é um vendedor experiente.",
  firstMessage: "Olá! Como posso ajudar?",
  model: "gpt-4.1",
  temperature: 0.7,
  language: "pt-BR",
};

async function created(s: Awaited<ReturnType<typeof setup>>) {
  await s.script("/create-retell-llm", [{ status: 201, body: llm() }]);
  await s.script("/create-agent", [{ status: 201, body: agent() }]);
  const res = await s.api("/api/retell/agents", { json: newAgent });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

const mirror = (organizationId: string) =>
  withDb((db) => db.select().from(retellAgents).where(eq(retellAgents.organizationId, organizationId)));

describe("Retell agents API", () => {
  it("creates a Retell LLM, then the agent answering with it and posting to the channel's webhook, and mirrors it", async () => {
    const s = await setup();
    const body = await created(s);
    expect(body).toMatchObject({
      channelId: s.channel.id,
      remoteAgentId: "oBeDLoLOeuAbiuaMFXRtDOLriTJ5tSxD",
      remoteLlmId: "llm_234sdertfsdsfsdf",
      name: "Vendas",
      voiceId: "11labs-Adrian",
      prompt: "Você é um vendedor experiente.",
      firstMessage: "Olá! Como posso ajudar?",
      model: "gpt-4.1",
      temperature: 0.7,
      language: "pt-BR",
      stale: false,
    });
    const sent = await s.requests();
    expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual(["POST /create-retell-llm", "POST /create-agent"]);
    for (const request of sent) expect(request.headers.authorization).toBe(`Bearer ${s.apiKey}`);
    expect(JSON.parse(sent[0]?.body ?? "")).toEqual({
      general_prompt: newAgent.prompt,
      begin_message: newAgent.firstMessage,
      model: "gpt-4.1",
      model_temperature: 0.7,
    });
    expect(JSON.parse(sent[1]?.body ?? "")).toEqual({
      response_engine: { type: "retell-llm", llm_id: "llm_234sdertfsdsfsdf" },
      voice_id: "11labs-Adrian",
      agent_name: "Vendas",
      webhook_url: `http://localhost:8787/webhooks/retell/${s.channel.id}`,
      language: "pt-BR",
    });
    expect(await mirror(s.tenant.organizationId)).toHaveLength(1);
    const list = await s.api("/api/retell/agents");
    expect(list.status, list.text).toBe(200);
    expect(list.body.data).toEqual([expect.objectContaining({ id: body.id, remoteAgentId: body.remoteAgentId })]);
    const filtered = await s.api(`/api/retell/agents?channelId=${crypto.randomUUID()}`);
    expect(filtered.body.data).toEqual([]);
  });

  it("refreshes the mirror from Retell on read", async () => {
    const s = await setup();
    const { id } = await created(s);
    await s.script("/get-agent/", [{ status: 200, body: agent({ agent_name: "Vendas SP", voice_id: "11labs-Myra" }) }]);
    await s.script("/get-retell-llm/", [
      { status: 200, body: llm({ general_prompt: "Novo prompt.", model_temperature: 0.2 }) },
    ]);
    const res = await s.api(`/api/retell/agents/${id}`);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      name: "Vendas SP",
      voiceId: "11labs-Myra",
      prompt: "Novo prompt.",
      temperature: 0.2,
      stale: false,
    });
    const [row] = await mirror(s.tenant.organizationId);
    expect(row).toMatchObject({ name: "Vendas SP", prompt: "Novo prompt." });
    expect((await s.requests()).map((r) => r.path)).toContain("/get-agent/oBeDLoLOeuAbiuaMFXRtDOLriTJ5tSxD");
  });

  it("answers the mirror marked stale when Retell is down, and 404 (mirror removed) once Retell says the agent is gone", async () => {
    const s = await setup();
    const { id } = await created(s);
    const down = { status: 503, headers: { "retry-after": "0" }, body: { message: "unavailable" } };
    await s.script("/get-agent/", [down, down, down]);
    const stale = await s.api(`/api/retell/agents/${id}`);
    expect(stale.status, stale.text).toBe(200);
    expect(stale.body).toMatchObject({ id, name: "Vendas", stale: true });
    await s.script("/get-agent/", [{ status: 404, body: { message: "Agent not found" } }]);
    const gone = await s.api(`/api/retell/agents/${id}`);
    expect(gone.status, gone.text).toBe(404);
    expect(await mirror(s.tenant.organizationId)).toHaveLength(0);
  });

  it("deletes the agent and its LLM at Retell, then the mirror; an agent already gone at Retell counts as deleted", async () => {
    const s = await setup();
    const first = await created(s);
    await s.script("/delete-agent/", [{ status: 204 }]);
    await s.script("/delete-retell-llm/", [{ status: 204 }]);
    const res = await s.api(`/api/retell/agents/${first.id}`, { method: "DELETE" });
    expect(res.status, res.text).toBe(204);
    const deletes = (await s.requests()).filter((r) => r.method === "DELETE").map((r) => r.path);
    expect(deletes).toEqual([
      "/delete-agent/oBeDLoLOeuAbiuaMFXRtDOLriTJ5tSxD",
      "/delete-retell-llm/llm_234sdertfsdsfsdf",
    ]);
    expect(await mirror(s.tenant.organizationId)).toHaveLength(0);

    const second = await created(s);
    await s.script("/delete-agent/", [{ status: 404, body: { message: "not found" } }]);
    await s.script("/delete-retell-llm/", [{ status: 404, body: { message: "not found" } }]);
    expect((await s.api(`/api/retell/agents/${second.id}`, { method: "DELETE" })).status).toBe(204);
    expect(await mirror(s.tenant.organizationId)).toHaveLength(0);
  });

  it("keeps the mirror and answers 502 when Retell fails a delete", async () => {
    const s = await setup();
    const { id } = await created(s);
    const broken = { status: 500, headers: { "retry-after": "0" }, body: { message: "boom" } };
    await s.script("/delete-agent/", [broken, broken, broken]);
    const res = await s.api(`/api/retell/agents/${id}`, { method: "DELETE" });
    expect(res.status, res.text).toBe(502);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(await mirror(s.tenant.organizationId)).toHaveLength(1);
  });

  it("answers 422 with Retell's reason when it refuses the agent, deleting the LLM made for it", async () => {
    const s = await setup();
    await s.script("/create-retell-llm", [{ status: 201, body: llm() }]);
    await s.script("/create-agent", [{ status: 400, body: { message: "voice_id 11labs-Nobody not found" } }]);
    await s.script("/delete-retell-llm/", [{ status: 204 }]);
    const res = await s.api("/api/retell/agents", { json: { ...newAgent, voiceId: "11labs-Nobody" } });
    expect(res.status, res.text).toBe(422);
    expect(res.body.detail).toContain("voice_id 11labs-Nobody not found");
    expect((await s.requests()).map((r) => `${r.method} ${r.path}`)).toEqual([
      "POST /create-retell-llm",
      "POST /create-agent",
      "DELETE /delete-retell-llm/llm_234sdertfsdsfsdf",
    ]);
    expect(await mirror(s.tenant.organizationId)).toHaveLength(0);
  });

  it("passes Retell's rate limit on as 429 with Retry-After, and an invalid key as 422", async () => {
    const s = await setup();
    await s.script("/create-retell-llm", [
      { status: 429, headers: { "retry-after": "30" }, body: { message: "slow down" } },
    ]);
    const limited = await s.api("/api/retell/agents", { json: newAgent });
    expect(limited.status, limited.text).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("30");
    await s.script("/create-retell-llm", [{ status: 401, body: { message: "Unauthorized" } }]);
    const refused = await s.api("/api/retell/agents", { json: newAgent });
    expect(refused.status, refused.text).toBe(422);
    expect(refused.body.detail).toContain("API key");
    expect(await mirror(s.tenant.organizationId)).toHaveLength(0);
  });

  it("picks the organization's only retell channel, and asks for channelId when there is none or several", async () => {
    const tenant = await createTenant();
    const none = await call("/api/retell/agents", { token: tenant.token, json: newAgent });
    expect(none.status, none.text).toBe(422);
    expect(none.body.detail).toContain("no retell channel");
    for (let i = 0; i < 2; i++) {
      await createChannel(tenant.token, {
        type: "retell",
        config: { apiKey: unique("key_"), fromNumber: RETELL_LINE },
      });
    }
    const several = await call("/api/retell/agents", { token: tenant.token, json: newAgent });
    expect(several.status, several.text).toBe(422);
    expect(several.body.detail).toContain("pass channelId");
  });

  it("refuses another organization's channel (404), a channel of another type (422) and its agents (404)", async () => {
    const s = await setup();
    const { id } = await created(s);
    const other = await createTenant();
    const theirs = await call("/api/retell/agents", {
      token: other.token,
      json: { ...newAgent, channelId: s.channel.id },
    });
    expect(theirs.status, theirs.text).toBe(404);
    for (const [method, path] of [
      ["GET", `/api/retell/agents/${id}`],
      ["DELETE", `/api/retell/agents/${id}`],
    ] as const) {
      expect((await call(path, { method, token: other.token })).status, `${method} ${path}`).toBe(404);
    }
    expect((await call("/api/retell/agents", { token: other.token })).body.data).toEqual([]);
    const sms = await createChannel(s.tenant.token, {
      type: "telegram",
      config: { botToken: `123456:${unique("AAF")}` },
    });
    const wrongType = await s.api("/api/retell/agents", { json: { ...newAgent, channelId: sms.id } });
    expect(wrongType.status, wrongType.text).toBe(422);
    expect((await s.requests()).filter((r) => r.method === "POST")).toHaveLength(2);
  });

  it("lets agents read but only admins and supervisors create or delete", async () => {
    const s = await setup();
    const { id } = await created(s);
    const member = await createMember(s.tenant, "agent");
    expect((await s.api("/api/retell/agents", { token: member.token })).status).toBe(200);
    expect((await s.api("/api/retell/agents", { token: member.token, json: newAgent })).status).toBe(403);
    expect((await s.api(`/api/retell/agents/${id}`, { token: member.token, method: "DELETE" })).status).toBe(403);
    const supervisor = await createMember(s.tenant, "supervisor");
    await s.script("/create-retell-llm", [{ status: 201, body: llm({ llm_id: "llm_2" }) }]);
    await s.script("/create-agent", [{ status: 201, body: agent({ agent_id: "agent_2" }) }]);
    expect((await s.api("/api/retell/agents", { token: supervisor.token, json: newAgent })).status).toBe(201);
  });

  it("validates the body before calling Retell", async () => {
    const s = await setup();
    const res = await s.api("/api/retell/agents", { json: { ...newAgent, temperature: 1.5, voiceId: "" } });
    expect(res.status, res.text).toBe(400);
    expect(await s.requests()).toEqual([]);
  });
});
