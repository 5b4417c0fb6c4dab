import { afterEach, describe, expect, it, vi } from "vitest";
import { createTenant } from "../support/fixtures";
import { call } from "../support/http";

afterEach(() => vi.restoreAllMocks());

describe("API conventions", () => {
  it("answers unknown routes with 404 problem+json", async () => {
    for (const path of ["/api/nope", "/nowhere"]) {
      const res = await call(path);
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(res.body).toMatchObject({ status: 404, title: "Not found", code: "NOT_FOUND" });
      expect(res.body.type).toMatch(/^urn:switchboard:problem:/);
    }
  });

  it("lists zod issues for a body that fails validation", async () => {
    const res = await call("/api/auth/register", { json: { organizationName: "", email: "not-an-email" } });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("VALIDATION_FAILED");
    const paths = res.body.errors.map((e: { path: string[] }) => e.path.join("."));
    expect(paths).toEqual(expect.arrayContaining(["organizationName", "email", "name", "password"]));
  });

  it("answers malformed JSON with 400 and another content type with 415, as problem+json", async () => {
    const malformed = await call("/api/auth/login", {
      body: "{not json",
      headers: { "content-type": "application/json" },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get("content-type")).toBe("application/problem+json");
    const form = await call("/api/auth/login", {
      body: "email=a",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(form.status).toBe(415);
    expect(form.body.code).toBe("UNSUPPORTED_MEDIA_TYPE");
  });

  it("answers unexpected errors with 500, a request id and no stack trace", async () => {
    const tenant = await createTenant();
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const res = await call("/api/users", {
      token: tenant.apiKey,
      env: { DATABASE_URL: "postgres://postgres@127.0.0.1:1/down" },
      headers: { "x-request-id": "req-test-500-abcdef" },
    });
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ code: "INTERNAL", requestId: "req-test-500-abcdef" });
    expect(res.text).not.toMatch(/at \w+ \(|node_modules|\.ts:\d+/);
    expect(res.headers.get("x-request-id")).toBe("req-test-500-abcdef");
    const logged = errors.mock.calls.map((args) => JSON.parse(String(args[0])));
    expect(logged.find((l) => l.msg === "unhandled error")).toMatchObject({ requestId: "req-test-500-abcdef" });
  });

  it("fails closed with a clear 500 when a required secret is missing", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const res = await call("/api/health", { env: { JWT_SECRET: "" } });
    expect(res.status).toBe(500);
    expect(res.body.code).toBe("MISCONFIGURED");
    expect(res.text).not.toContain("JWT_SECRET");
  });

  it("writes one JSON log line per request with route, status, duration, organization and request id", async () => {
    const tenant = await createTenant();
    const lines: Record<string, unknown>[] = [];
    vi.spyOn(console, "log").mockImplementation((line: unknown) => lines.push(JSON.parse(String(line))));
    const res = await call("/api/auth/me", { token: tenant.token, env: { LOG_LEVEL: "info" } });
    const requestLines = lines.filter((l) => l.msg === "request");
    expect(requestLines).toHaveLength(1);
    expect(requestLines[0]).toMatchObject({
      level: "info",
      method: "GET",
      route: "/api/auth/me",
      status: 200,
      organizationId: tenant.organizationId,
      requestId: res.headers.get("x-request-id"),
    });
    expect(requestLines[0]?.durationMs).toEqual(expect.any(Number));
  });

  it("serves an OpenAPI 3.1 document that documents security and errors", async () => {
    const res = await call("/api/openapi.json");
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.components.securitySchemes.Bearer).toMatchObject({ type: "http", scheme: "bearer" });
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/api/health",
        "/api/auth/register",
        "/api/auth/login",
        "/api/auth/me",
        "/api/users/{id}",
        "/api/api-keys",
      ]),
    );
    const me = doc.paths["/api/auth/me"].get;
    expect(me.security).toEqual([{ Bearer: [] }]);
    expect(Object.keys(me.responses)).toEqual(expect.arrayContaining(["200", "401", "500"]));
    expect(me.responses["401"].content["application/problem+json"]).toBeDefined();
    for (const [path, item] of Object.entries<Record<string, { responses: object; operationId?: string }>>(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        expect(Object.keys(op.responses).length, `${method} ${path}`).toBeGreaterThan(0);
      }
    }
  });

  it("serves interactive docs at /api/docs", async () => {
    const res = await call("/api/docs");
    expect(res.status).toBe(200);
    expect(res.text).toContain("/api/openapi.json");
  });
});
