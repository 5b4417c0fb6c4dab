// Slack through the integrations API: the incoming webhook stored sealed, a real test post, and
// a hot lead's alert posted once (masked phone), retried on 5xx by the job system.
import { describe, expect, inject, it } from "vitest";
import { botConversation } from "../support/ai";
import { unique } from "../support/fixtures";
import { call, runScheduled } from "../support/http";
import { fakeRequests, scriptFake } from "../support/provider";
import { makeDue } from "../support/scenario";
import { jobsNamed } from "./support";

async function connectSlack(token: string, name = "services/T000/B000/secret") {
  const path = `/slack/${unique("sl")}/${name}`;
  const webhookUrl = `${inject("fakesUrl")}${path}`;
  const put = await call("/api/integrations/slack", { method: "PUT", token, json: { webhookUrl } });
  return { put, path, webhookUrl };
}

const hotReply = [
  { reply: "Temos sim!", lead: { name: "Bruno", company: "Acme", interest: "FBM100", temperature: "warm" } },
  { reply: "Perfeito!", lead: { quantity: "10", temperature: "hot" } },
] as const;

describe("slack integration", () => {
  it("keeps the webhook URL sealed, tests it with a real post, refuses a revoked one", async () => {
    const bot = await botConversation();
    const { put, path, webhookUrl } = await connectSlack(bot.tenant.token);
    expect(put.status, put.text).toBe(200);
    expect(put.body).toMatchObject({ provider: "slack", configured: true, secrets: { webhookUrl: true } });
    expect(put.text).not.toContain(webhookUrl);
    const list = await call("/api/integrations", { token: bot.tenant.token });
    expect(list.text).not.toContain(webhookUrl);
    expect(list.body.data.map((p: { provider: string }) => p.provider)).toContain("slack");

    const test = await call("/api/integrations/slack/test", { method: "POST", token: bot.tenant.token });
    expect(test.body, test.text).toMatchObject({ ok: true });
    const [posted] = await fakeRequests(path);
    expect(JSON.parse(posted?.body ?? "{}").text).toContain("connection test");

    const revoked = await connectSlack(bot.tenant.token, "revoked");
    expect(revoked.put.status).toBe(200);
    const failed = await call("/api/integrations/slack/test", { method: "POST", token: bot.tenant.token });
    expect(failed.body).toMatchObject({ ok: false, error: expect.stringContaining("no_service") });

    const bad = await call("/api/integrations/slack", {
      method: "PUT",
      token: bot.tenant.token,
      json: { webhookUrl: "not a url" },
    });
    expect(bad.status).toBe(400);
  });

  it("posts a hot lead once, with the phone masked and the ticket number", async () => {
    const bot = await botConversation({ queue: true });
    const { path } = await connectSlack(bot.tenant.token);
    await bot.model.script([...hotReply]);
    await bot.send("vocês têm a FBM100?");
    await bot.send("quero 10");
    const posts = await fakeRequests(path);
    expect(posts).toHaveLength(1);
    const text = JSON.parse(posts[0]?.body ?? "{}").text as string;
    expect(text).toContain("Lead quente: Bruno (Acme)");
    expect(text).toContain("interesse: FBM100");
    const ticket = await call(`/api/tickets/${await bot.ticketId()}`, { token: bot.tenant.token });
    expect(text).toContain(`ticket #${ticket.body.number}`);
    expect(text).toMatch(/contato \+?55\*+\d{4}/);

    // One job per temperature change: the lead staying hot on later replies raises nothing more.
    const jobs = await jobsNamed(bot.tenant.organizationId, "slack.notify");
    expect(jobs.map((j) => j.status)).toEqual(["done"]);
  });

  it("retries a 5xx of Slack through the job and posts once", async () => {
    const bot = await botConversation({ queue: true });
    const { path } = await connectSlack(bot.tenant.token);
    await scriptFake(path, [{ status: 503, body: "service_unavailable", headers: { "retry-after": "30" } }]);
    await bot.model.script([...hotReply]);
    await bot.send("vocês têm a FBM100?");
    await bot.send("quero 10");
    const [job] = await jobsNamed(bot.tenant.organizationId, "slack.notify");
    expect(job).toMatchObject({ status: "failed", attempts: 1 });
    expect(job?.lastError).toContain("Slack");
    await makeDue(bot.tenant.organizationId);
    await runScheduled({ env: bot.env });
    const [done] = await jobsNamed(bot.tenant.organizationId, "slack.notify");
    expect(done).toMatchObject({ status: "done", attempts: 2 });
    const answered = (await fakeRequests(path)).length;
    expect(answered).toBe(2); // the 503 and the post that went through
  });
});
