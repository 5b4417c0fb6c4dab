// A cron tick sweeps every organization's due jobs with the env of whoever runs it. In tests that
// env carries one test's fakes, so a job another test left failing must not run against them:
// test/support/leftover-jobs.ts retires a test's jobs when it ends. These two tests run in order.
import { describe, expect, it } from "vitest";
import { modelScope } from "../support/ai";
import { call, runScheduled } from "../support/http";
import { conversation, jobsOf, makeDue } from "../support/scenario";

let earlier: { organizationId: string } | undefined;

describe("jobs a test leaves behind", () => {
  it("a ticket resolved while the model fails leaves its insights job failing, due again", async () => {
    const model = modelScope();
    await model.script([{ status: 500, body: { error: { message: "down" } } }]);
    const chat = await conversation({ env: model.env });
    const resolved = await call(`/api/tickets/${chat.ticket.id}/resolve`, {
      method: "POST",
      token: chat.tenant.token,
      env: model.env,
    });
    expect(resolved.status, resolved.text).toBe(200);
    await makeDue(chat.tenant.organizationId);
    const insights = (await jobsOf(chat.tenant.organizationId)).filter((j) => j.name === "ticket.insights");
    expect(insights).toMatchObject([{ status: "failed" }]);
    earlier = { organizationId: chat.tenant.organizationId };
  });

  it("are not run by the next test's cron tick against its own model", async () => {
    const model = modelScope();
    await model.script([{ reply: "for this test only" }]);
    await runScheduled({ env: model.env });
    expect(await model.requests()).toHaveLength(0);
    if (!earlier) throw new Error("the first test did not run");
    const insights = (await jobsOf(earlier.organizationId)).filter((j) => j.name === "ticket.insights");
    expect(insights).toMatchObject([{ status: "dead", lastError: "retired: the test that made it has ended" }]);
  });
});
