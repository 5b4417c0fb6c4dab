import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from "vitest";
import gateway from "../../functions/gateway";
import { drivers, testEnv, upstashEnv } from "../../test/support/env";
import { call } from "../../test/support/http";

describe.each(drivers)("GET /api/health (%s driver)", (driver) => {
  it("reports the database reachable with its latency", async () => {
    const res = await call("/api/health", { driver });
    expect(res.status, res.text).toBe(200);
    expect(res.body.status).toBe("ok");
    expect(res.body.database).toMatchObject({ status: "ok", driver });
    expect(res.body.database.latencyMs).toBeGreaterThanOrEqual(0);
    expect(res.headers.get("x-request-id")).toMatch(/^[\w-]{8,}$/);
  });
});

describe("GET /api/health", () => {
  it("lists each integration as configured or not_configured", async () => {
    const bare = await call("/api/health");
    expect(bare.body.integrations).toEqual({
      qstash: "not_configured",
      upstashRedis: "not_configured",
      openai: "not_configured",
    });
    const withOpenAi = await call("/api/health", { env: { OPENAI_API_KEY: "sk-test" } });
    expect(withOpenAi.body.integrations.openai).toBe("configured");
  });

  it("answers 503 degraded when the database is unreachable", async () => {
    const res = await call("/api/health", { env: { DATABASE_URL: "postgres://postgres@127.0.0.1:1/none" } });
    expect(res.status, res.text).toBe(503);
    expect(res.body.database).toMatchObject({ status: "error", latencyMs: null });
  });
});

describe("GET /api/health rateLimits", () => {
  it("answers per-isolate without Upstash Redis and upstash with it", async () => {
    const local = await call("/api/health");
    expect(local.body.rateLimits, local.text).toBe("per-isolate");
    const deployed = await call("/api/health", { env: { PUBLIC_URL: "https://switchboard.example.com" } });
    expect(deployed.body.rateLimits, deployed.text).toBe("per-isolate");
    const shared = await call("/api/health", {
      env: { ...upstashEnv(), PUBLIC_URL: "https://switchboard.example.com" },
    });
    expect(shared.body.rateLimits, shared.text).toBe("upstash");
    expect(shared.body.integrations.upstashRedis).toBe("configured");
  });

  it("is declared in the OpenAPI document", async () => {
    const doc = await call("/api/openapi.json");
    expect(doc.body.components.schemas.Health.properties.rateLimits.enum).toEqual(["upstash", "per-isolate"]);
    expect(doc.body.components.schemas.Health.required).toContain("rateLimits");
  });
});

describe("per-isolate rate limits in a deployment", () => {
  const warning = "rate limits are per-isolate: set UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN";
  const logged = (spy: MockInstance) =>
    spy.mock.calls.map(([line]) => JSON.parse(String(line))).filter((entry) => entry.msg === warning);
  let errors: MockInstance;
  beforeEach(() => {
    errors = vi.spyOn(console, "error").mockImplementation(() => {});
  });
  afterEach(() => errors.mockRestore());

  it("logs an error once per isolate, on its first request", async () => {
    // One bindings object, as the runtime keeps one per isolate.
    const bindings = testEnv({ PUBLIC_URL: "https://switchboard.example.com" });
    await fetchWith(bindings, "/api/health");
    await fetchWith(bindings, "/api/health");
    const lines = logged(errors);
    expect(lines, JSON.stringify(lines)).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: "error",
      rateLimits: "per-isolate",
      publicUrl: "https://switchboard.example.com",
    });
  });

  it("logs on the first rate-limited call too (a login), not only on the health check", async () => {
    const bindings = testEnv({ PUBLIC_URL: "https://switchboard.example.com" });
    const res = await fetchWith(bindings, "/api/auth/login", {
      email: "nobody@example.com",
      password: "wrong password",
    });
    expect(res.status).toBe(401);
    expect(logged(errors)).toHaveLength(1);
  });

  it("stays quiet on localhost and with Upstash", async () => {
    await fetchWith(testEnv({ PUBLIC_URL: "http://localhost:8787" }), "/api/health");
    await fetchWith(testEnv({ PUBLIC_URL: "http://127.0.0.1:8787" }), "/api/health");
    await fetchWith(testEnv({ ...upstashEnv(), PUBLIC_URL: "https://switchboard.example.com" }), "/api/health");
    expect(logged(errors)).toEqual([]);
  });
});

/** Like `call`, but with the caller's bindings object kept across requests. */
async function fetchWith(bindings: Record<string, unknown>, path: string, json?: unknown) {
  const ctx = createExecutionContext();
  const request = new Request(new URL(path, "http://localhost:8787"), {
    method: json === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json" },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  const res = await gateway.fetch(request as Parameters<typeof gateway.fetch>[0], bindings, ctx);
  await res.arrayBuffer();
  await waitOnExecutionContext(ctx);
  return res;
}
