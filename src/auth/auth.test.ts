import { describe, expect, it } from "vitest";
import { drivers } from "../../test/support/env";
import { createTenant, PASSWORD, randomIp, unique } from "../../test/support/fixtures";
import { call } from "../../test/support/http";

describe.each(drivers)("auth flow (%s driver)", (driver) => {
  it("registers, logs in, creates an API key and calls /api/auth/me with it", async () => {
    const email = `${unique("flow")}@example.com`;
    const reg = await call("/api/auth/register", {
      driver,
      json: { organizationName: "Acme Atendimento", name: "Ana", email, password: PASSWORD },
      headers: { "cf-connecting-ip": randomIp() },
    });
    expect(reg.status, reg.text).toBe(201);
    expect(reg.body.user).toMatchObject({ email, name: "Ana", role: "admin", status: "active" });
    expect(reg.body.organization.name).toBe("Acme Atendimento");
    expect(reg.body.user).not.toHaveProperty("passwordHash");

    const login = await call("/api/auth/login", { driver, json: { email: email.toUpperCase(), password: PASSWORD } });
    expect(login.status, login.text).toBe(200);
    expect(Date.parse(login.body.expiresAt)).toBeGreaterThan(Date.now());

    const key = await call("/api/api-keys", { driver, token: login.body.token, json: { name: "CRM sync" } });
    expect(key.status, key.text).toBe(201);
    expect(key.body.key).toMatch(/^sb_[\w-]{40}$/);
    expect(key.body.prefix).toBe(key.body.key.slice(0, 10));

    const me = await call("/api/auth/me", { driver, token: key.body.key });
    expect(me.status, me.text).toBe(200);
    expect(me.body).toMatchObject({
      principal: { type: "api_key", id: key.body.id, role: "admin" },
      organization: { id: reg.body.organization.id },
      user: null,
      apiKey: { id: key.body.id, name: "CRM sync", prefix: key.body.prefix },
    });

    const meUser = await call("/api/auth/me", { driver, token: login.body.token });
    expect(meUser.body.user.id).toBe(reg.body.user.id);
  });
});

describe("login", () => {
  it("answers one generic 401 for a wrong password and for an unknown e-mail", async () => {
    const tenant = await createTenant();
    const wrong = await call("/api/auth/login", { json: { email: tenant.email, password: "not the password" } });
    const unknown = await call("/api/auth/login", { json: { email: `${unique()}@example.com`, password: PASSWORD } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.headers.get("content-type")).toBe("application/problem+json");
    expect(wrong.body.detail).toBe(unknown.body.detail);
  });

  it("rate limits attempts per e-mail with 429 and Retry-After", async () => {
    const tenant = await createTenant();
    const env = { LOGIN_MAX_PER_EMAIL: "3" };
    for (let i = 0; i < 3; i++) {
      const res = await call("/api/auth/login", {
        env,
        json: { email: tenant.email, password: "wrong password!" },
        headers: { "cf-connecting-ip": randomIp() },
      });
      expect(res.status).toBe(401);
    }
    const limited = await call("/api/auth/login", {
      env,
      json: { email: tenant.email, password: PASSWORD },
      headers: { "cf-connecting-ip": randomIp() },
    });
    expect(limited.status, limited.text).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(limited.body.code).toBe("RATE_LIMITED");
  });

  it("rate limits attempts per IP across e-mails", async () => {
    const ip = randomIp();
    const env = { LOGIN_MAX_PER_IP: "2" };
    const attempt = () =>
      call("/api/auth/login", {
        env,
        json: { email: `${unique()}@example.com`, password: PASSWORD },
        headers: { "cf-connecting-ip": ip },
      });
    expect((await attempt()).status).toBe(401);
    expect((await attempt()).status).toBe(401);
    expect((await attempt()).status).toBe(429);
  });
});

describe("register", () => {
  it("refuses a second account with the same e-mail (409)", async () => {
    const tenant = await createTenant();
    const again = await call("/api/auth/register", {
      json: { organizationName: "Other", name: "X", email: tenant.email.toUpperCase(), password: PASSWORD },
      headers: { "cf-connecting-ip": randomIp() },
    });
    expect(again.status, again.text).toBe(409);
  });

  it("rejects a short password with the zod issue", async () => {
    const res = await call("/api/auth/register", {
      json: { organizationName: "Org", name: "X", email: `${unique()}@example.com`, password: "short" },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ path: ["password"] })]);
  });
});

describe("bearer credentials", () => {
  it.each([
    ["no header", undefined],
    ["a garbage token", "Bearer nonsense"],
    ["an unknown API key", "Bearer sb_unknownunknownunknownunknownunknown00"],
    ["a JWT signed with another secret", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"],
  ])("rejects %s with 401 problem+json", async (_name, authorization) => {
    const res = await call("/api/auth/me", { headers: authorization ? { authorization } : {} });
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
  });

  it("stops accepting a revoked API key", async () => {
    const tenant = await createTenant();
    const created = await call("/api/api-keys", { token: tenant.token, json: { name: "temp" } });
    expect((await call("/api/auth/me", { token: created.body.key })).status).toBe(200);
    const revoked = await call(`/api/api-keys/${created.body.id}`, { method: "DELETE", token: tenant.token });
    expect(revoked.status).toBe(204);
    expect((await call("/api/auth/me", { token: created.body.key })).status).toBe(401);
  });

  it("stops accepting the tokens of a deactivated user at once", async () => {
    const tenant = await createTenant();
    const email = `${unique("agent")}@example.com`;
    const created = await call("/api/users", {
      token: tenant.token,
      json: { email, name: "Bia", role: "agent", password: PASSWORD },
    });
    const login = await call("/api/auth/login", { json: { email, password: PASSWORD } });
    expect((await call("/api/auth/me", { token: login.body.token })).status).toBe(200);
    await call(`/api/users/${created.body.user.id}`, { method: "DELETE", token: tenant.token });
    expect((await call("/api/auth/me", { token: login.body.token })).status).toBe(401);
    expect((await call("/api/auth/login", { json: { email, password: PASSWORD } })).status).toBe(401);
  });
});
