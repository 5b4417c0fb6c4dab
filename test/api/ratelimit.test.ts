// Rate limits on both stores: the in-process one, and @upstash/ratelimit on a real Redis.
import { describe, expect, inject, it } from "vitest";
import { upstashEnv } from "../support/env";
import { createTenant, PASSWORD, randomIp, unique } from "../support/fixtures";
import { call } from "../support/http";
import { metaMessagePayload, postMeta } from "../support/meta";
import { createChannel } from "../support/provider";

const stores = [
  ["in-process", {}],
  ["Upstash (real Redis)", upstashEnv()],
] as const;

describe.each(stores)("rate limits, %s store", (_name, store) => {
  it("limits logins per e-mail", async () => {
    const tenant = await createTenant();
    const env = { ...store, LOGIN_MAX_PER_EMAIL: "2" };
    const attempt = () =>
      call("/api/auth/login", {
        env,
        json: { email: tenant.email, password: PASSWORD },
        headers: { "cf-connecting-ip": randomIp() },
      });
    expect((await attempt()).status).toBe(200);
    expect((await attempt()).status).toBe(200);
    const limited = await attempt();
    expect(limited.status, limited.text).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("limits webhooks per channel with 429 problem+json and Retry-After", async () => {
    const tenant = await createTenant();
    const phoneNumberId = unique("pn");
    const config = { phoneNumberId, accessToken: "t", appSecret: unique("s"), verifyToken: "v" };
    const channel = await createChannel(tenant.token, { type: "whatsapp_meta", config });
    const env = { ...store, WEBHOOK_RATE_LIMIT_PER_MINUTE: "2" };
    const post = () =>
      postMeta(channel.id, config.appSecret, metaMessagePayload(phoneNumberId, { type: "text", text: { body: "x" } }), {
        env,
      });
    expect((await post()).status).toBe(200);
    expect((await post()).status).toBe(200);
    const limited = await post();
    expect(limited.status, limited.text).toBe(429);
    expect(limited.headers.get("content-type")).toBe("application/problem+json");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("limits the API per organization and per API key", async () => {
    const tenant = await createTenant();
    const perKey = { ...store, API_KEY_RATE_LIMIT_PER_MINUTE: "2" };
    expect((await call("/api/auth/me", { env: perKey, token: tenant.apiKey })).status).toBe(200);
    expect((await call("/api/auth/me", { env: perKey, token: tenant.apiKey })).status).toBe(200);
    expect((await call("/api/auth/me", { env: perKey, token: tenant.apiKey })).status).toBe(429);
    // The user's own token is not the key: it still passes.
    expect((await call("/api/auth/me", { env: perKey, token: tenant.token })).status).toBe(200);
    // The organization's budget is shared by its users' tokens and its keys: the third call is over.
    const other = await createTenant({ env: store });
    const perOrg = { ...store, API_RATE_LIMIT_PER_MINUTE: "2" };
    expect((await call("/api/auth/me", { env: perOrg, token: other.token })).status).toBe(200);
    expect((await call("/api/auth/me", { env: perOrg, token: other.token })).status).toBe(200);
    const limited = await call("/api/auth/me", { env: perOrg, token: other.apiKey });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("ratelimit-remaining")).toBe("0");
  });
});

describe("Upstash store", () => {
  it("keeps its counters in Redis", async () => {
    const tenant = await createTenant();
    await call("/api/auth/me", { env: upstashEnv(), token: tenant.apiKey });
    const res = await fetch(inject("upstashUrl"), {
      method: "POST",
      headers: { authorization: "Bearer upstash-test-token" },
      body: JSON.stringify(["KEYS", `sb:rl:api-org:${tenant.organizationId}*`]),
    });
    const body = (await res.json()) as { result: string[] };
    expect(body.result.length).toBeGreaterThan(0);
  });
});
