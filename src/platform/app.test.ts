import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { testEnv } from "../../test/support/env";
import { newWorkerApp } from "./app";

/** An app whose one route fails the way drizzle reports a PostgreSQL error: wrapped, the SQLSTATE on its cause. */
async function failing(code: string) {
  const app = newWorkerApp();
  app.post("/x", () => {
    throw new Error("Failed query: update ...", { cause: Object.assign(new Error("pg says no"), { code }) });
  });
  const ctx = createExecutionContext();
  const res = await app.request("/x", { method: "POST" }, testEnv(), ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

describe("errors of a request", () => {
  it.each(["40P01", "40001"])(
    "a transaction PostgreSQL aborted for a concurrent one (%s) is a 503 to retry",
    async (code) => {
      const res = await failing(code);
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("1");
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      expect(await res.json()).toMatchObject({ code: "UNAVAILABLE", status: 503 });
    },
  );

  it("any other database failure stays a 500", async () => {
    const res = await failing("XX000");
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ code: "INTERNAL" });
  });
});
