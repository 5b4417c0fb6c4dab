// Shared by the leads tests: an events webhook, a PipeRun or Chatwoot connection on the fakes.
import { and, eq } from "drizzle-orm";
import { expect, inject } from "vitest";
import { outbox } from "@/db/schema";
import { withDb } from "../support/db";
import { unique } from "../support/fixtures";
import { call } from "../support/http";
import { fakeRequests } from "../support/provider";

/** The organization's events webhook on the fake; returns its path there. */
export async function eventsWebhook(token: string): Promise<string> {
  const path = `/events/${unique("hook")}`;
  const set = await call("/api/organization/events-webhook", {
    method: "PUT",
    token,
    json: { url: `${inject("fakesUrl")}${path}` },
  });
  expect(set.status, set.text).toBe(200);
  return path;
}

export async function events(path: string) {
  return (await fakeRequests(path)).map((r) => JSON.parse(r.body) as { type: string; data: Record<string, unknown> });
}

export async function connectPipeRun(token: string, apiToken = "pr-token") {
  const scope = unique("pr");
  const put = await call("/api/integrations/piperun", {
    method: "PUT",
    token,
    json: { apiToken, baseUrl: `${inject("fakesUrl")}/piperun/${scope}/v1`, pipelineId: 10, stageId: 20 },
  });
  expect(put.status, put.text).toBe(200);
  return { prefix: `/piperun/${scope}/v1/` };
}

export async function connectChatwoot(token: string, apiAccessToken = "cw-token") {
  const scope = unique("cw");
  const put = await call("/api/integrations/chatwoot", {
    method: "PUT",
    token,
    json: { baseUrl: `${inject("fakesUrl")}/chatwoot/${scope}`, apiAccessToken, accountId: 7, inboxId: 1 },
  });
  expect(put.status, put.text).toBe(200);
  return { prefix: `/chatwoot/${scope}/api/v1/accounts/7` };
}

export const jobsNamed = (organizationId: string, name: string) =>
  withDb((db) =>
    db
      .select()
      .from(outbox)
      .where(and(eq(outbox.organizationId, organizationId), eq(outbox.name, name)))
      .orderBy(outbox.id),
  );

/** Makes a finished job run again, as a redelivery after a lost acknowledgement or a takeover would. */
export const rerun = (jobId: string) =>
  withDb((db) =>
    db
      .update(outbox)
      .set({ status: "failed", nextAttemptAt: new Date(Date.now() - 1000) })
      .where(eq(outbox.id, jobId)),
  );
