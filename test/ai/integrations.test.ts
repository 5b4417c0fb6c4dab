// Integrations (the openai provider) and model access: never a secret back, a real test call,
// the deployment's key as a fallback, and nothing queued for the bot without any key.
import { describe, expect, it } from "vitest";
import { aiJobs, botState, modelScope } from "../support/ai";
import { createTenant, unique } from "../support/fixtures";
import { createMember } from "../support/helpdesk";
import { call } from "../support/http";
import { metaMessagePayload, postMeta } from "../support/meta";
import { REFUSED_KEY } from "../support/openai-fake";
import { createChannel, fakeRequests } from "../support/provider";
import { jobsOf } from "../support/scenario";

const ORG_KEY = "sk-org-own-key-0123456789";

describe("integrations", () => {
  it("lists every provider, stores the openai key sealed and never returns it", async () => {
    const tenant = await createTenant();
    const token = tenant.token;
    const model = modelScope();
    const before = await call("/api/integrations", { token });
    expect(before.status, before.text).toBe(200);
    expect(before.body.data).toEqual([
      expect.objectContaining({ provider: "openai", configured: false, source: null, secrets: { apiKey: false } }),
      expect.objectContaining({ provider: "chatwoot", configured: false, secrets: { apiAccessToken: false } }),
      expect.objectContaining({ provider: "piperun", configured: false, secrets: { apiToken: false } }),
      expect.objectContaining({ provider: "slack", configured: false, secrets: { webhookUrl: false } }),
    ]);

    const put = await call("/api/integrations/openai", {
      method: "PUT",
      token,
      json: { apiKey: ORG_KEY, baseUrl: model.baseUrl },
    });
    expect(put.status, put.text).toBe(200);
    expect(put.body).toMatchObject({
      provider: "openai",
      configured: true,
      source: "organization",
      config: { baseUrl: model.baseUrl },
      secrets: { apiKey: true },
    });
    // A change without the key keeps the stored one.
    const renamed = await call("/api/integrations/openai", { method: "PUT", token, json: { baseUrl: model.baseUrl } });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.body.secrets).toEqual({ apiKey: true });

    const test = await call("/api/integrations/openai/test", { method: "POST", token });
    expect(test.status, test.text).toBe(200);
    expect(test.body).toMatchObject({ ok: true, source: "organization", latencyMs: expect.any(Number) });
    const calls = await fetchModels(model.baseUrl);
    expect(calls.at(-1)?.headers.authorization).toBe(`Bearer ${ORG_KEY}`);

    for (const res of [before, put, renamed, test, await call("/api/integrations", { token })]) {
      expect(res.text).not.toContain(ORG_KEY);
    }
    expect((await call("/api/integrations/openai", { method: "DELETE", token })).status).toBe(204);
    expect((await call("/api/integrations", { token })).body.data[0]).toMatchObject({ configured: false });
    expect((await call("/api/integrations/openai", { method: "DELETE", token })).status).toBe(404);
  });

  it("reports a failing test call without the key the provider echoed", async () => {
    const tenant = await createTenant();
    const model = modelScope();
    await call("/api/integrations/openai", {
      method: "PUT",
      token: tenant.token,
      json: { apiKey: REFUSED_KEY, baseUrl: model.baseUrl },
    });
    const test = await call("/api/integrations/openai/test", { method: "POST", token: tenant.token });
    expect(test.status, test.text).toBe(200);
    expect(test.body).toMatchObject({ ok: false, error: expect.stringContaining("401") });
    expect(test.text).not.toContain(REFUSED_KEY);
  });

  it("falls back to the deployment's key, refuses bad settings, and is for admins only", async () => {
    const tenant = await createTenant();
    const token = tenant.token;
    const model = modelScope();
    const listed = await call("/api/integrations", { token, env: model.env });
    expect(listed.body.data[0]).toMatchObject({ configured: true, source: "deployment", secrets: { apiKey: true } });
    expect(listed.text).not.toContain(model.env.OPENAI_API_KEY);
    const test = await call("/api/integrations/openai/test", { method: "POST", token, env: model.env });
    expect(test.body).toMatchObject({ ok: true, source: "deployment" });
    expect((await call("/api/integrations/openai/test", { method: "POST", token })).status).toBe(409);

    const noKey = await call("/api/integrations/openai", { method: "PUT", token, json: { baseUrl: model.baseUrl } });
    expect(noKey.status).toBe(400);
    const badUrl = await call("/api/integrations/openai", {
      method: "PUT",
      token,
      json: { apiKey: "k", baseUrl: "ftp://x" },
    });
    expect(badUrl.status).toBe(400);
    expect((await call("/api/integrations/nope", { token, method: "PUT", json: {} })).status).toBe(400);
    const supervisor = await createMember(tenant, "supervisor");
    expect((await call("/api/integrations", { token: supervisor.token })).status).toBe(403);
  });
});

describe("without a model key", () => {
  it("reports AI not_configured in health and queues nothing for the bot", async () => {
    const health = await call("/api/health");
    expect(health.body.integrations.openai).toBe("not_configured");
    const configured = await call("/api/health", { env: modelScope().env });
    expect(configured.body.integrations.openai).toBe("configured");

    const tenant = await createTenant();
    const phoneNumberId = unique("pn");
    const config = { phoneNumberId, appSecret: unique("s"), verifyToken: "v" };
    const channel = await createChannel(tenant.token, { type: "whatsapp_meta", config });
    const agent = await call("/api/ai/agents", {
      token: tenant.token,
      json: { name: "Sofia", instructions: "x", channelIds: [channel.id], debounceSeconds: 0 },
    });
    expect(agent.status, agent.text).toBe(201);
    const inbound = await postMeta(
      channel.id,
      config.appSecret,
      metaMessagePayload(phoneNumberId, { type: "text", text: { body: "oi" } }),
    );
    expect(inbound.status, inbound.text).toBe(200);
    expect(await aiJobs(tenant.organizationId)).toHaveLength(0);
    // The ticket is people's: it goes through normal assignment.
    expect((await jobsOf(tenant.organizationId)).map((j) => j.name)).toContain("ticket.assign");
    const list = await call(`/api/tickets?channelId=${channel.id}`, { token: tenant.token });
    const back = await call(`/api/tickets/${list.body.data[0].id}/ai`, {
      token: tenant.token,
      json: { enabled: true },
    });
    expect(back.status).toBe(409);
  });
});

const fetchModels = (baseUrl: string) => fakeRequests(`${new URL(baseUrl).pathname}/models`);

describe("an organization's own model access", () => {
  it("answers with the organization's key and base URL, and hands the bot's tickets to people once it is removed", async () => {
    const tenant = await createTenant();
    const token = tenant.token;
    const model = modelScope();
    await call("/api/integrations/openai", { method: "PUT", token, json: { apiKey: ORG_KEY, baseUrl: model.baseUrl } });
    const phoneNumberId = unique("pn");
    const config = { phoneNumberId, appSecret: unique("s"), verifyToken: "v" };
    const channel = await createChannel(tenant.token, { type: "whatsapp_meta", config });
    await call("/api/ai/agents", {
      token,
      json: { name: "Sofia", instructions: "x", channelIds: [channel.id], debounceSeconds: 0 },
    });
    const send = (text: string) =>
      postMeta(channel.id, config.appSecret, metaMessagePayload(phoneNumberId, { type: "text", text: { body: text } }));
    await send("oi");
    const [first] = await fakeRequests(`${new URL(model.baseUrl).pathname}/chat/completions`);
    expect(first?.headers.authorization).toBe(`Bearer ${ORG_KEY}`);
    const ticketId = (await call(`/api/tickets?channelId=${channel.id}`, { token })).body.data[0].id;
    expect((await botState(ticketId))?.enabled).toBe(true);

    expect((await call("/api/integrations/openai", { method: "DELETE", token })).status).toBe(204);
    await send("ainda está aí?");
    expect(await model.requests()).toHaveLength(1);
    expect(await aiJobs(tenant.organizationId)).toHaveLength(1);
    expect(await botState(ticketId)).toMatchObject({ enabled: false, handoffReason: "not_configured" });
    expect((await jobsOf(tenant.organizationId)).filter((j) => j.name === "ticket.assign")).toHaveLength(1);
  });
});
