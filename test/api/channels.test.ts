// The channel API: provider credentials go in encrypted and never come back out; only which
// fields are configured and the webhook URLs to paste into the provider's console are returned.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { openCredentials } from "@/channels/secrets";
import { channels, messages, tickets } from "@/db/schema";
import { parseEnv } from "@/platform/env";
import { withDb } from "../support/db";
import { testEnv } from "../support/env";
import { createTenant, type Tenant, unique } from "../support/fixtures";
import { call } from "../support/http";
import { metaMessagePayload, postMeta } from "../support/meta";
import { seedMember } from "../support/seed";

const PUBLIC_URL = "http://localhost:8787";
const SECRET = /^[A-Za-z0-9_-]{32}$/;

/** A valid config of every channel type, every value unique so it can be searched for. */
function configs() {
  return {
    whatsapp_meta: {
      phoneNumberId: unique("pnid"),
      accessToken: unique("EAAGaccess"),
      appSecret: unique("appsecret"),
      verifyToken: unique("verifytoken"),
    },
    whatsapp_zapi: {
      instanceId: unique("instance"),
      instanceToken: unique("instancetoken"),
      clientToken: unique("clienttoken"),
    },
    whatsapp_builderbot: {
      apiUrl: `https://${unique("bb")}.example.com`,
      apiKey: unique("bbapikey"),
      botId: unique("botid"),
      webhookToken: unique("bbwebhooktoken"),
    },
    twilio_sms: {
      accountSid: `AC${unique("accountsid")}`,
      authToken: unique("authtoken"),
      phoneNumber: `+1415555${String(Math.floor(Math.random() * 10_000)).padStart(4, "0")}`,
    },
    telegram: {
      botToken: `${100000000 + Math.floor(Math.random() * 899999999)}:AAF${unique("bot")}`,
      secretToken: unique("tgsecret"),
    },
  };
}

function expectedUrls(type: string, id: string) {
  switch (type) {
    case "whatsapp_meta":
      return { webhook: `${PUBLIC_URL}/webhooks/meta/${id}` };
    case "whatsapp_zapi":
      return {
        webhook: expect.stringMatching(new RegExp(`^${PUBLIC_URL}/webhooks/zapi/${id}/[A-Za-z0-9_-]{32}$`)),
      };
    case "whatsapp_builderbot":
      return { webhook: `${PUBLIC_URL}/webhooks/builderbot/${id}`, defaultWebhookToken: expect.stringMatching(SECRET) };
    case "twilio_sms":
      return {
        sms: `${PUBLIC_URL}/webhooks/twilio/${id}/sms`,
        status: `${PUBLIC_URL}/webhooks/twilio/${id}/sms-status`,
      };
    case "telegram":
      return { webhook: `${PUBLIC_URL}/webhooks/telegram/${id}`, secretToken: expect.stringMatching(SECRET) };
    default:
      throw new Error(`no expectation for ${type}`);
  }
}

const storedRow = (id: string) =>
  withDb(async (db) => (await db.select().from(channels).where(eq(channels.id, id)))[0]);

async function storedConfig(id: string) {
  const row = await storedRow(id);
  if (!row) throw new Error(`channel ${id} not stored`);
  return openCredentials(parseEnv(testEnv()), row);
}

function expectNoSecrets(text: string, config: Record<string, string>) {
  for (const [field, value] of Object.entries(config)) {
    expect(text.includes(value), `${field} (${value}) leaked in: ${text}`).toBe(false);
  }
}

async function member(tenant: Tenant, role: "agent" | "supervisor") {
  return (await seedMember(tenant.organizationId, role)).token;
}

async function create(token: string, json: Record<string, unknown>) {
  const res = await call("/api/channels", { token, json: { name: unique("Canal "), ...json } });
  expect(res.status, res.text).toBe(201);
  return res;
}

const patch = (token: string, id: string, json: unknown) =>
  call(`/api/channels/${id}`, { method: "PATCH", token, json });

describe("POST /api/channels", () => {
  it("connects every channel type without ever returning a config value", async () => {
    const tenant = await createTenant();
    const all = configs();
    const ids: string[] = [];
    for (const [type, config] of Object.entries(all)) {
      const name = unique(`${type} `);
      const res = await create(tenant.token, { type, name, config });
      const id = res.body.id as string;
      ids.push(id);
      expectNoSecrets(res.text, config);
      expect(res.body, type).toEqual({
        id: expect.any(String),
        type,
        name,
        active: true,
        queueId: null,
        settings: { reopenWindowHours: 24, ignoreGroups: true, ignoreFromMe: true },
        configured: Object.fromEntries(Object.keys(config).map((k) => [k, true])),
        webhookUrls: expectedUrls(type, id),
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });

      // Reads show the same, still without values; the webhook secret is stable.
      const read = await call(`/api/channels/${id}`, { token: tenant.token });
      expect(read.status, read.text).toBe(200);
      expectNoSecrets(read.text, config);
      expect(read.body.configured).toEqual(res.body.configured);
      expect(read.body.webhookUrls).toEqual(res.body.webhookUrls);

      // At rest: ciphertext only, which opens to exactly what was sent.
      const row = await storedRow(id);
      if (!row) throw new Error("not stored");
      expect(row.organizationId).toBe(tenant.organizationId);
      // Sealed values name their key (v2.<key id>.<iv>.<ciphertext>), so a rotation knows which key opens them.
      expect(row.credentials).toMatch(/^v2\.[0-9a-f]{8}\./);
      expectNoSecrets(row.credentials, config);
      for (const url of Object.values(res.body.webhookUrls as Record<string, string>)) {
        const secret = url.split("/").pop() ?? "";
        if (SECRET.test(secret))
          expect(row.webhookSecret.includes(secret), "webhook secret stored in plain text").toBe(false);
      }
      expect(await storedConfig(id)).toEqual(config);
    }

    const list = await call("/api/channels?limit=100", { token: tenant.token });
    expect(list.status, list.text).toBe(200);
    expect(list.body.data.map((c: { id: string }) => c.id)).toEqual([...ids].reverse());
    for (const config of Object.values(all)) expectNoSecrets(list.text, config);
    // Each channel has a webhook secret of its own.
    const secrets = list.body.data
      .flatMap((c: { webhookUrls: Record<string, string> }) => Object.values(c.webhookUrls))
      .filter((v: string) => SECRET.test(v) || v.includes("/zapi/"));
    expect(new Set(secrets).size).toBe(secrets.length);
  });

  it("reports optional fields that are not set as not configured", async () => {
    const tenant = await createTenant();
    const builderbot = await create(tenant.token, {
      type: "whatsapp_builderbot",
      config: { apiKey: unique("k"), botId: unique("b") },
    });
    expect(builderbot.body.configured).toEqual({ apiKey: true, botId: true, apiUrl: false, webhookToken: false });
    const meta = await create(tenant.token, {
      type: "whatsapp_meta",
      config: { phoneNumberId: unique("pn"), appSecret: unique("s"), verifyToken: unique("v") },
    });
    expect(meta.body.configured).toEqual({
      phoneNumberId: true,
      accessToken: false,
      appSecret: true,
      verifyToken: true,
    });
  });

  it("routes to a queue of the organization, with settings; 404 for a foreign or unknown queue", async () => {
    const tenant = await createTenant();
    const queue = await call("/api/queues", { token: tenant.token, json: { name: unique("Fila ") } });
    const foreign = await call("/api/queues", { token: (await createTenant()).token, json: { name: unique("Fila ") } });
    const config = configs().whatsapp_meta;
    const routed = await create(tenant.token, {
      type: "whatsapp_meta",
      config,
      queueId: queue.body.id,
      settings: { reopenWindowHours: 6 },
      active: false,
    });
    expect(routed.body).toMatchObject({
      queueId: queue.body.id,
      active: false,
      settings: { reopenWindowHours: 6, ignoreGroups: true, ignoreFromMe: true },
    });
    for (const queueId of [foreign.body.id, crypto.randomUUID()]) {
      const res = await call("/api/channels", {
        token: tenant.token,
        json: { type: "whatsapp_meta", name: "x", config: configs().whatsapp_meta, queueId },
      });
      expect(res.status, res.text).toBe(404);
    }
    const list = await call("/api/channels?limit=100", { token: tenant.token });
    expect(list.body.data.map((c: { id: string }) => c.id)).toEqual([routed.body.id]);
  });

  it("refuses an invalid config with 400 and errors under config, and unknown types", async () => {
    const tenant = await createTenant();
    const cases: [string, unknown, (string | number)[]][] = [
      ["whatsapp_meta", { phoneNumberId: "1", accessToken: "a", verifyToken: "v" }, ["config", "appSecret"]],
      ["whatsapp_meta", { phoneNumberId: "1", appSecret: 123, verifyToken: "v" }, ["config", "appSecret"]],
      ["whatsapp_meta", { phoneNumberId: "", appSecret: "s", verifyToken: "v" }, ["config", "phoneNumberId"]],
      ["telegram", { botToken: "definitely-not-a-token" }, ["config", "botToken"]],
      ["telegram", { secretToken: "has spaces and !" }, ["config", "secretToken"]],
      ["whatsapp_builderbot", { apiKey: "k", apiUrl: "ftp://files.example.com" }, ["config", "apiUrl"]],
      ["twilio_sms", { accountSid: "AC1", phoneNumber: "+14155550100" }, ["config", "authToken"]],
      ["whatsapp_zapi", "instance-token", ["config"]],
    ];
    for (const [type, config, path] of cases) {
      const res = await call("/api/channels", { token: tenant.token, json: { type, name: "Canal", config } });
      expect(res.status, `${type} ${JSON.stringify(config)}: ${res.text}`).toBe(400);
      expect(res.body.code).toBe("VALIDATION_FAILED");
      const paths = res.body.errors.map((e: { path: (string | number)[] }) => e.path);
      expect(paths, res.text).toContainEqual(path);
      for (const p of paths) expect(p[0], res.text).toBe("config");
      // The refused values are not echoed back either.
      if (typeof config === "object" && config) {
        for (const value of Object.values(config)) {
          if (typeof value === "string" && value.length > 3) expect(res.text.includes(value), res.text).toBe(false);
        }
      }
    }

    const unknown = await call("/api/channels", {
      token: tenant.token,
      json: { type: "whatsapp_unofficial", name: "Canal", config: {} },
    });
    expect(unknown.status, unknown.text).toBe(400);
    expect(unknown.body.errors.map((e: { path: unknown }) => e.path)).toContainEqual(["type"]);
    const noName = await call("/api/channels", {
      token: tenant.token,
      json: { type: "telegram", name: " ", config: {} },
    });
    expect(noName.status, noName.text).toBe(400);
    expect((await call("/api/channels?limit=100", { token: tenant.token })).body.data).toEqual([]);
  });
});

describe("PATCH /api/channels/{id}", () => {
  it("merges config, removes fields sent as empty strings, and re-validates the result", async () => {
    const tenant = await createTenant();
    const config = configs().whatsapp_meta;
    const channel = await create(tenant.token, { type: "whatsapp_meta", config });
    const id = channel.body.id as string;

    const rotated = unique("rotated");
    const merged = await patch(tenant.token, id, { config: { accessToken: rotated } });
    expect(merged.status, merged.text).toBe(200);
    expect(merged.text.includes(rotated)).toBe(false);
    expectNoSecrets(merged.text, config);
    expect(merged.body.configured).toEqual({
      phoneNumberId: true,
      accessToken: true,
      appSecret: true,
      verifyToken: true,
    });
    expect(await storedConfig(id)).toEqual({ ...config, accessToken: rotated });
    // The fields not sent were kept: the old app secret still verifies webhooks.
    const inbound = await postMeta(
      id,
      config.appSecret as string,
      metaMessagePayload(config.phoneNumberId as string, { type: "text", text: { body: "ainda funciona" } }),
    );
    expect(inbound.status, inbound.text).toBe(200);
    expect(inbound.body.messages).toBe(1);

    const removed = await patch(tenant.token, id, { config: { accessToken: "" } });
    expect(removed.status, removed.text).toBe(200);
    expect(removed.body.configured).toEqual({
      phoneNumberId: true,
      accessToken: false,
      appSecret: true,
      verifyToken: true,
    });
    const { accessToken: _gone, ...rest } = config;
    expect(await storedConfig(id)).toEqual(rest);

    // Removing a required field leaves an invalid config: refused, nothing stored.
    const invalid = await patch(tenant.token, id, { config: { appSecret: "", verifyToken: unique("new") } });
    expect(invalid.status, invalid.text).toBe(400);
    expect(invalid.body.errors.map((e: { path: unknown }) => e.path)).toEqual([["config", "appSecret"]]);
    expect(await storedConfig(id)).toEqual(rest);

    const bad = await patch(tenant.token, id, { config: { verifyToken: 42 } });
    expect(bad.status, bad.text).toBe(400);
    expect(bad.body.errors[0].path[0]).toBe("config");
  });

  it("renames and re-routes; 404 for unknown channels and foreign queues", async () => {
    const tenant = await createTenant();
    const channel = await create(tenant.token, { type: "telegram", config: configs().telegram });
    const id = channel.body.id as string;
    const queue = await call("/api/queues", { token: tenant.token, json: { name: unique("Fila ") } });
    const foreign = await call("/api/queues", { token: (await createTenant()).token, json: { name: unique("Fila ") } });

    const renamed = await patch(tenant.token, id, { name: "Telegram Vendas", queueId: queue.body.id });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.body).toMatchObject({ name: "Telegram Vendas", queueId: queue.body.id });
    expect(renamed.body.webhookUrls).toEqual(channel.body.webhookUrls);

    const foreignQueue = await patch(tenant.token, id, { queueId: foreign.body.id });
    expect(foreignQueue.status, foreignQueue.text).toBe(404);
    const unrouted = await patch(tenant.token, id, { queueId: null });
    expect(unrouted.body.queueId).toBeNull();
    const missing = await patch(tenant.token, crypto.randomUUID(), { name: "x" });
    expect(missing.status, missing.text).toBe(404);

    const read = await call(`/api/channels/${id}`, { token: tenant.token });
    expect(read.body).toMatchObject({ name: "Telegram Vendas", queueId: null });
  });

  it("merges partial settings into the stored ones instead of resetting the others to defaults", async () => {
    const tenant = await createTenant();
    const channel = await create(tenant.token, {
      type: "whatsapp_zapi",
      config: configs().whatsapp_zapi,
      settings: { reopenWindowHours: 6, ignoreFromMe: false },
    });
    const id = channel.body.id as string;
    expect(channel.body.settings).toEqual({ reopenWindowHours: 6, ignoreGroups: true, ignoreFromMe: false });
    const s1 = await patch(tenant.token, id, { settings: { reopenWindowHours: 2 } });
    expect(s1.status, s1.text).toBe(200);
    expect(s1.body.settings).toEqual({ reopenWindowHours: 2, ignoreGroups: true, ignoreFromMe: false });
    const s2 = await patch(tenant.token, id, { settings: { ignoreGroups: false } });
    expect(s2.body.settings).toEqual({ reopenWindowHours: 2, ignoreGroups: false, ignoreFromMe: false });
    const read = await call(`/api/channels/${id}`, { token: tenant.token });
    expect(read.body.settings).toEqual({ reopenWindowHours: 2, ignoreGroups: false, ignoreFromMe: false });
    expect((await patch(tenant.token, id, { settings: { reopenWindowHours: 10_000 } })).status).toBe(400);
  });

  it("deactivates (webhooks are acknowledged but ignored, replies refused) and reactivates", async () => {
    const tenant = await createTenant();
    const config = configs().whatsapp_meta;
    const channel = await create(tenant.token, { type: "whatsapp_meta", config });
    const id = channel.body.id as string;
    const send = (from: string) =>
      postMeta(
        id,
        config.appSecret as string,
        metaMessagePayload(config.phoneNumberId as string, { type: "text", text: { body: "oi" }, from }),
      );
    expect((await send("5511900001101")).status).toBe(200);
    const [ticket] = (await call(`/api/tickets?channelId=${id}`, { token: tenant.token })).body.data;

    const off = await patch(tenant.token, id, { active: false });
    expect(off.status, off.text).toBe(200);
    expect(off.body.active).toBe(false);
    const ignored = await send("5511900001102");
    expect(ignored.status, ignored.text).toBe(200);
    expect(ignored.body).toMatchObject({ status: "ignored" });
    expect((await call(`/api/tickets?channelId=${id}`, { token: tenant.token })).body.data).toHaveLength(1);
    const reply = await call(`/api/tickets/${ticket.id}/messages`, {
      token: tenant.token,
      json: { type: "text", text: "canal desligado" },
    });
    expect(reply.status, reply.text).toBe(409);

    const on = await patch(tenant.token, id, { active: true });
    expect(on.body.active).toBe(true);
    expect((await send("5511900001102")).body.messages).toBe(1);
    expect((await call(`/api/tickets?channelId=${id}`, { token: tenant.token })).body.data).toHaveLength(2);
  });
});

describe("DELETE /api/channels/{id}", () => {
  it("deletes the channel; its tickets and messages stay, without a channel", async () => {
    const tenant = await createTenant();
    const config = configs().whatsapp_meta;
    const channel = await create(tenant.token, { type: "whatsapp_meta", config });
    const id = channel.body.id as string;
    const payload = metaMessagePayload(config.phoneNumberId as string, { type: "text", text: { body: "olá" } });
    expect((await postMeta(id, config.appSecret as string, payload)).status).toBe(200);
    const [ticket] = (await call(`/api/tickets?channelId=${id}`, { token: tenant.token })).body.data;

    const removed = await call(`/api/channels/${id}`, { method: "DELETE", token: tenant.token });
    expect(removed.status, removed.text).toBe(204);
    expect(removed.text).toBe("");
    expect((await call(`/api/channels/${id}`, { token: tenant.token })).status).toBe(404);
    expect((await call(`/api/channels/${id}`, { method: "DELETE", token: tenant.token })).status).toBe(404);
    expect((await call("/api/channels", { token: tenant.token })).body.data).toEqual([]);
    expect(await storedRow(id)).toBeUndefined();

    const kept = await call(`/api/tickets/${ticket.id}`, { token: tenant.token });
    expect(kept.status, kept.text).toBe(200);
    expect(kept.body).toMatchObject({ id: ticket.id, channelId: null, status: "open" });
    expect(
      kept.body.lastMessages.map((m: { text: string; channelId: string | null }) => [m.text, m.channelId]),
    ).toEqual([["olá", null]]);
    const rows = await withDb((db) => db.select().from(tickets).where(eq(tickets.id, ticket.id)));
    expect(rows).toHaveLength(1);
    const stored = await withDb((db) => db.select().from(messages).where(eq(messages.ticketId, ticket.id)));
    expect(stored.map((m) => m.body)).toEqual(["olá"]);
    // Webhooks to the deleted channel find nothing.
    expect((await postMeta(id, config.appSecret as string, payload)).status).toBe(404);
  });
});

describe("channel permissions", () => {
  it("lets supervisors read but not write, and agents neither", async () => {
    const tenant = await createTenant();
    const config = configs().twilio_sms;
    const channel = await create(tenant.token, { type: "twilio_sms", config });
    const id = channel.body.id as string;
    const supervisor = await member(tenant, "supervisor");
    const agent = await member(tenant, "agent");
    const supervisorKey = await call("/api/api-keys", {
      token: tenant.token,
      json: { name: "supervisor key", role: "supervisor" },
    });
    expect(supervisorKey.status, supervisorKey.text).toBe(201);

    for (const token of [supervisor, supervisorKey.body.key as string]) {
      const list = await call("/api/channels", { token });
      expect(list.status, list.text).toBe(200);
      expect(list.body.data.map((c: { id: string }) => c.id)).toEqual([id]);
      expectNoSecrets(list.text, config);
      const read = await call(`/api/channels/${id}`, { token });
      expect(read.status, read.text).toBe(200);
      expectNoSecrets(read.text, config);

      const created = await call("/api/channels", {
        token,
        json: { type: "telegram", name: "x", config: configs().telegram },
      });
      expect(created.status, created.text).toBe(403);
      expect(created.body.code).toBe("FORBIDDEN");
      expect((await patch(token, id, { name: "hijacked" })).status).toBe(403);
      expect((await patch(token, id, { config: { authToken: "x" } })).status).toBe(403);
      expect((await call(`/api/channels/${id}`, { method: "DELETE", token })).status).toBe(403);
    }

    for (const path of ["/api/channels", `/api/channels/${id}`]) {
      const res = await call(path, { token: agent });
      expect(res.status, `${path}: ${res.text}`).toBe(403);
    }
    expect((await patch(agent, id, { active: false })).status).toBe(403);
    expect((await call(`/api/channels/${id}`, { method: "DELETE", token: agent })).status).toBe(403);
    expect((await call("/api/channels")).status).toBe(401);

    const still = await call(`/api/channels/${id}`, { token: tenant.token });
    expect(still.body).toMatchObject({ name: channel.body.name, active: true });
    expect(await storedConfig(id)).toEqual(config);
    expect((await call("/api/channels", { token: tenant.token })).body.data).toHaveLength(1);
  });
});
