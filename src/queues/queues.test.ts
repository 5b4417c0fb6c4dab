import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { tickets } from "@/db/schema";
import { createTenant } from "../../test/support/fixtures";
import { collectPages, createMember, insertTicket, withDb } from "../../test/support/helpdesk";
import { call } from "../../test/support/http";

describe("queues", () => {
  it("creates, reads, updates and lists queues", async () => {
    const tenant = await createTenant();
    const created = await call("/api/queues", {
      token: tenant.token,
      json: { name: "Billing", description: "Invoices and refunds", slaFirstResponseMinutes: 15 },
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({
      name: "Billing",
      description: "Invoices and refunds",
      slaFirstResponseMinutes: 15,
      slaResolutionMinutes: null,
    });
    expect(Date.parse(created.body.createdAt)).not.toBeNaN();

    const updated = await call(`/api/queues/${created.body.id}`, {
      method: "PATCH",
      token: tenant.token,
      json: { slaResolutionMinutes: 240, slaFirstResponseMinutes: null, description: null },
    });
    expect(updated.status, updated.text).toBe(200);
    expect(updated.body).toMatchObject({
      name: "Billing",
      description: null,
      slaFirstResponseMinutes: null,
      slaResolutionMinutes: 240,
    });

    const read = await call(`/api/queues/${created.body.id}`, { token: tenant.apiKey });
    expect(read.status, read.text).toBe(200);
    expect(read.body).toEqual(updated.body);
    const list = await call("/api/queues", { token: tenant.token });
    expect(list.body.data.map((q: { id: string }) => q.id)).toEqual([created.body.id]);
  });

  it("validates input with problem+json and refuses duplicate names in any case", async () => {
    const tenant = await createTenant();
    const bad = await call("/api/queues", {
      token: tenant.token,
      json: { name: " ", slaFirstResponseMinutes: 0, slaResolutionMinutes: 1.5 },
    });
    expect(bad.status, bad.text).toBe(400);
    expect(bad.headers.get("content-type")).toBe("application/problem+json");
    const paths = bad.body.errors.map((e: { path: string[] }) => e.path.join("."));
    expect(paths).toEqual(expect.arrayContaining(["name", "slaFirstResponseMinutes", "slaResolutionMinutes"]));

    expect((await call("/api/queues", { token: tenant.token, json: { name: "Sales" } })).status).toBe(201);
    const clash = await call("/api/queues", { token: tenant.token, json: { name: "sALES" } });
    expect(clash.status, clash.text).toBe(409);
    expect(clash.body.detail).toContain("already exists");
  });

  it("lets agents read queues but only admins and supervisors change them", async () => {
    const tenant = await createTenant();
    const agent = await createMember(tenant, "agent");
    const queue = await call("/api/queues", { token: tenant.token, json: { name: "Support" } });
    const path = `/api/queues/${queue.body.id}`;
    expect((await call(path, { token: agent.token })).status).toBe(200);
    expect((await call(`${path}/members`, { token: agent.token })).status).toBe(200);
    const create = await call("/api/queues", { token: agent.token, json: { name: "Mine" } });
    expect(create.status, create.text).toBe(403);
    expect((await call(path, { method: "PATCH", token: agent.token, json: { name: "X" } })).status).toBe(403);
    expect((await call(path, { method: "DELETE", token: agent.token })).status).toBe(403);
    expect((await call(`${path}/members/${agent.userId}`, { method: "PUT", token: agent.token })).status).toBe(403);

    const supervisor = await createMember(tenant, "supervisor");
    const join = await call(`${path}/members/${agent.userId}`, { method: "PUT", token: supervisor.token });
    expect(join.status, join.text).toBe(204);
  });

  it("manages members idempotently and refuses admins and unknown users", async () => {
    const tenant = await createTenant();
    const ana = await createMember(tenant, "agent", "Ana");
    const sam = await createMember(tenant, "supervisor", "Sam");
    const queue = await call("/api/queues", { token: tenant.token, json: { name: "Onboarding" } });
    const members = `/api/queues/${queue.body.id}/members`;

    for (const user of [ana, sam, ana]) {
      const res = await call(`${members}/${user.userId}`, { method: "PUT", token: tenant.token });
      expect(res.status, res.text).toBe(204);
    }
    const list = await call(members, { token: tenant.token });
    expect(list.status, list.text).toBe(200);
    expect(list.body.data).toEqual([
      { userId: sam.userId, name: "Sam", email: sam.email, status: "offline", maxConcurrent: 5 },
      { userId: ana.userId, name: "Ana", email: ana.email, status: "offline", maxConcurrent: 5 },
    ]);

    const admin = await call(`${members}/${tenant.userId}`, { method: "PUT", token: tenant.token });
    expect(admin.status, admin.text).toBe(409);
    expect(admin.body.detail).toContain("Only agents and supervisors");
    const nobody = await call(`${members}/${crypto.randomUUID()}`, { method: "PUT", token: tenant.token });
    expect(nobody.status, nobody.text).toBe(404);
    expect(nobody.body.detail).toContain("No such user");

    const removed = await call(`${members}/${ana.userId}`, { method: "DELETE", token: tenant.token });
    expect(removed.status, removed.text).toBe(204);
    const again = await call(`${members}/${ana.userId}`, { method: "DELETE", token: tenant.token });
    expect(again.status, again.text).toBe(404);
    expect(again.body.detail).toContain("not a member");
    const after = await call(members, { token: tenant.token });
    expect(after.body.data.map((m: { userId: string }) => m.userId)).toEqual([sam.userId]);
  });

  it("paginates members", async () => {
    const tenant = await createTenant();
    const queue = await call("/api/queues", { token: tenant.token, json: { name: "Big" } });
    const userIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      const member = await createMember(tenant, "agent", `Agent ${i}`);
      await call(`/api/queues/${queue.body.id}/members/${member.userId}`, { method: "PUT", token: tenant.token });
      userIds.push(member.userId);
    }
    const { ids, pages } = await collectPages(`/api/queues/${queue.body.id}/members`, tenant.token, 2);
    expect(pages).toBe(2);
    expect(ids).toEqual([...userIds].reverse());
  });

  it("keeps queues and members of another organization out of reach (404)", async () => {
    const a = await createTenant();
    const b = await createTenant();
    const agentA = await createMember(a, "agent");
    const agentB = await createMember(b, "agent");
    const queueA = await call("/api/queues", { token: a.token, json: { name: "Private" } });
    const queueB = await call("/api/queues", { token: b.token, json: { name: "Theirs" } });
    const path = `/api/queues/${queueA.body.id}`;
    for (const credential of [b.token, b.apiKey]) {
      expect((await call(path, { token: credential })).status).toBe(404);
      expect((await call(`${path}/members`, { token: credential })).status).toBe(404);
      const patch = await call(path, { method: "PATCH", token: credential, json: { name: "Stolen" } });
      expect(patch.status, patch.text).toBe(404);
      expect((await call(path, { method: "DELETE", token: credential })).status).toBe(404);
      const join = await call(`${path}/members/${agentB.userId}`, { method: "PUT", token: credential });
      expect(join.status, join.text).toBe(404);
    }
    // Nor can b put a's agent into b's own queue.
    const foreignAgent = await call(`/api/queues/${queueB.body.id}/members/${agentA.userId}`, {
      method: "PUT",
      token: b.token,
    });
    expect(foreignAgent.status, foreignAgent.text).toBe(404);
    expect((await call("/api/queues?limit=100", { token: b.token })).body.data).toHaveLength(1);
    expect((await call(path, { token: a.token })).body.name).toBe("Private");
  });

  it("refuses to delete a queue with open or pending tickets", async () => {
    const tenant = await createTenant();
    const queue = await call("/api/queues", { token: tenant.token, json: { name: "Busy" } });
    const contact = await call("/api/contacts", { token: tenant.token, json: { name: "Waiting" } });
    const ticket = await withDb((db) =>
      insertTicket(db, {
        organizationId: tenant.organizationId,
        contactId: contact.body.id,
        queueId: queue.body.id,
        status: "pending",
      }),
    );
    const refused = await call(`/api/queues/${queue.body.id}`, { method: "DELETE", token: tenant.token });
    expect(refused.status, refused.text).toBe(409);
    expect(refused.body.detail).toContain("1 open or pending");

    await withDb((db) => db.update(tickets).set({ status: "resolved" }).where(eq(tickets.id, ticket.id)));
    const deleted = await call(`/api/queues/${queue.body.id}`, { method: "DELETE", token: tenant.token });
    expect(deleted.status, deleted.text).toBe(204);
    expect((await call(`/api/queues/${queue.body.id}`, { token: tenant.token })).status).toBe(404);
  });
});
