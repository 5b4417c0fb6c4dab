import { describe, expect, it } from "vitest";
import { drivers } from "../../test/support/env";
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
