import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { testEnv } from "../../test/support/env";
import { runScheduled } from "../../test/support/http";
import { type CronTask, runCron } from "./run";

afterEach(() => vi.restoreAllMocks());

describe("cron", () => {
  it("runs through the gateway's scheduled entry point", async () => {
    await expect(runScheduled()).resolves.toBeUndefined();
  });

  it("runs every task with the database, even after one fails", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const ran: string[] = [];
    const tasks: CronTask[] = [
      {
        name: "boom",
        run: async () => {
          ran.push("boom");
          throw new Error("task exploded");
        },
      },
      {
        name: "query",
        run: async ({ db }) => {
          const result = await db.execute<{ n: number }>("select 41 + 1 as n");
          ran.push(`query:${result.rows[0]?.n}`);
          return {};
        },
      },
    ];
    const ctx = createExecutionContext();
    await runCron(tasks, createScheduledController({ scheduledTime: Date.now(), cron: "* * * * *" }), testEnv(), ctx);
    await waitOnExecutionContext(ctx);
    expect(ran).toEqual(["boom", "query:42"]);
    const failure = errors.mock.calls.map((a) => JSON.parse(String(a[0]))).find((l) => l.msg === "cron task failed");
    expect(failure).toMatchObject({ task: "boom", error: { message: "task exploded" } });
  });
});
