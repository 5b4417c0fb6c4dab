// The blocklist: numbers stored once in E.164, writes for admins and supervisors (audited),
// numbers masked in the list for agents, keyset pages, organizations apart; and it refuses
// outbound messages (409 BLOCKED_NUMBER), also ones queued before the number was blocked.
import { and, eq, like } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLog, outbox } from "@/db/schema";
import { deliverJob } from "../support/calls";
import { withDb } from "../support/db";
import { qstashEnv } from "../support/env";
import { createMember, createTenant } from "../support/fixtures";
import { collectPages } from "../support/helpdesk";
import { call } from "../support/http";
import { fakeRequests } from "../support/provider";
import { conversation, messageRow } from "../support/scenario";

const block = (token: string, json: Record<string, unknown>) => call("/api/blocklist", { token, json });

describe("/api/blocklist", () => {
  it("stores a number once in E.164 and answers a repeat with the existing entry (200)", async () => {
    const tenant = await createTenant();
    const first = await block(tenant.token, { phone: "+55 (11) 98765-4321", reason: "trote" });
    expect(first.status, first.text).toBe(201);
    expect(first.body).toMatchObject({ phone: "+5511987654321", reason: "trote", createdBy: tenant.userId });
    // The same mobile without its ninth digit, another reason: the same entry, unchanged.
    const again = await block(tenant.token, { phone: "551187654321", reason: "outra" });
    expect(again.status, again.text).toBe(200);
    expect(again.body).toEqual(first.body);
    const bad = await block(tenant.token, { phone: "12" });
    expect(bad.status, bad.text).toBe(400);
    const list = await call("/api/blocklist?reveal=true", { token: tenant.token });
    expect(list.body.data.map((b: { phone: string }) => b.phone)).toEqual(["+5511987654321"]);
  });

  it("lets admins and supervisors write, and masks the list unless they reveal it", async () => {
    const tenant = await createTenant();
    const agent = await createMember(tenant, "agent");
    const supervisor = await createMember(tenant, "supervisor");
    const denied = await block(agent.token, { phone: "+5511987654321" });
    expect(denied.status, denied.text).toBe(403);
    const created = await block(supervisor.token, { phone: "+5511987654321" });
    expect(created.status).toBe(201);
    const asAgent = await call("/api/blocklist", { token: agent.token });
    expect(asAgent.body.data[0].phone).toBe("+55*******4321");
    const asSupervisor = await call("/api/blocklist", { token: supervisor.token });
    expect(asSupervisor.body.data[0].phone).toBe("+55*******4321");
    const revealed = await call("/api/blocklist?reveal=true", { token: supervisor.token });
    expect(revealed.body.data[0].phone).toBe("+5511987654321");
    expect((await call("/api/blocklist?reveal=true", { token: agent.token })).status).toBe(403);
    const remove = await call(`/api/blocklist/${created.body.id}`, { method: "DELETE", token: agent.token });
    expect(remove.status).toBe(403);
  });

  it("unblocks by id or by number, audits both writes, and keeps organizations apart (404)", async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const a = await block(tenant.token, { phone: "+5511987654321", reason: "spam" });
    const b = await block(tenant.token, { phone: "+5511912345678" });
    const theirs = await block(other.token, { phone: "+5511987654321" });
    expect((await call(`/api/blocklist/${theirs.body.id}`, { method: "DELETE", token: tenant.token })).status).toBe(
      404,
    );

    const byId = await call(`/api/blocklist/${a.body.id}`, { method: "DELETE", token: tenant.token });
    expect(byId.status, byId.text).toBe(204);
    const byPhone = await call(`/api/blocklist/${encodeURIComponent("(11) 91234-5678")}`, {
      method: "DELETE",
      token: tenant.token,
    });
    expect(byPhone.status, byPhone.text).toBe(204);
    const gone = await call(`/api/blocklist/${encodeURIComponent("+5511912345678")}`, {
      method: "DELETE",
      token: tenant.token,
    });
    expect(gone.status, gone.text).toBe(404);
    expect((await call("/api/blocklist", { token: tenant.token })).body.data).toEqual([]);
    expect((await call("/api/blocklist", { token: other.token })).body.data).toHaveLength(1);

    const audited = await withDb((db) =>
      db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.organizationId, tenant.organizationId), like(auditLog.action, "blocklist.%")))
        .orderBy(auditLog.id),
    );
    expect(audited.map((e) => [e.action, e.targetId])).toEqual([
      ["blocklist.added", a.body.id],
      ["blocklist.added", b.body.id],
      ["blocklist.removed", a.body.id],
      ["blocklist.removed", b.body.id],
    ]);
    expect(audited[0]?.metadata).toEqual({ phone: "+55*******4321", reason: "spam" });
    expect(JSON.stringify(audited)).not.toContain("987654321");
  });

  it("pages newest first with a cursor", async () => {
    const tenant = await createTenant();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await block(tenant.token, { phone: `+55119876543${20 + i}` })).body.id);
    const paged = await collectPages("/api/blocklist", tenant.token, 2);
    expect(paged).toEqual({ ids: [...ids].reverse(), pages: 3 });
  });
});

describe("the blocklist and outbound messages", () => {
  it("refuses a reply to a blocked contact with 409 BLOCKED_NUMBER and sends again once unblocked", async () => {
    const { tenant, ticket, graphPrefix } = await conversation();
    await block(tenant.token, { phone: "+5511987654321" });
    const refused = await call(`/api/tickets/${ticket.id}/messages`, {
      token: tenant.token,
      json: { type: "text", text: "olá" },
    });
    expect(refused.status, refused.text).toBe(409);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(refused.body).toMatchObject({ code: "BLOCKED_NUMBER" });
    await call(`/api/blocklist/${encodeURIComponent("+5511987654321")}`, { method: "DELETE", token: tenant.token });
    const sent = await call(`/api/tickets/${ticket.id}/messages`, {
      token: tenant.token,
      json: { type: "text", text: "olá" },
    });
    expect(sent.status, sent.text).toBe(202);
    expect(await fakeRequests(graphPrefix)).toHaveLength(1);
  });

  it("does not send a message queued before the number was blocked", async () => {
    const { tenant, ticket, graphPrefix } = await conversation();
    const queued = await call(`/api/tickets/${ticket.id}/messages`, {
      token: tenant.token,
      json: { type: "text", text: "olá" },
      env: qstashEnv(),
    });
    expect(queued.status).toBe(202);
    await block(tenant.token, { phone: "+5511987654321" });
    const [job] = await withDb((db) =>
      db
        .select()
        .from(outbox)
        .where(and(eq(outbox.organizationId, tenant.organizationId), eq(outbox.name, "message.send"))),
    );
    if (!job) throw new Error("no send job");
    expect((await deliverJob(job)).status).toBe(200);
    expect(await messageRow(queued.body.id)).toMatchObject({ status: "failed", error: { code: "blocked_number" } });
    expect(await fakeRequests(graphPrefix)).toHaveLength(0);
  });
});
