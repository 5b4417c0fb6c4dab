import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { ticketTags } from "@/db/schema";
import { createTenant } from "../../test/support/fixtures";
import { collectPages, createMember, insertTicket, withDb } from "../../test/support/helpdesk";
import { call } from "../../test/support/http";

describe("tags", () => {
  it("creates, reads, renames, recolors and lists tags", async () => {
    const tenant = await createTenant();
    const created = await call("/api/tags", { token: tenant.token, json: { name: "  VIP ", color: "#FF8800" } });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      name: "VIP",
      color: "#FF8800",
      createdAt: expect.any(String),
    });

    const read = await call(`/api/tags/${created.body.id}`, { token: tenant.apiKey });
    expect(read.status, read.text).toBe(200);
    expect(read.body).toEqual(created.body);

    const renamed = await call(`/api/tags/${created.body.id}`, {
      method: "PATCH",
      token: tenant.token,
      json: { name: "Gold", color: null },
    });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.body).toMatchObject({ id: created.body.id, name: "Gold", color: null });

    const list = await call("/api/tags", { token: tenant.token });
    expect(list.status, list.text).toBe(200);
    expect(list.body.data.map((t: { name: string }) => t.name)).toEqual(["Gold"]);
    expect(list.body.nextCursor).toBeNull();
  });

  it("refuses a second tag with the same name in any case, but not in another organization", async () => {
    const a = await createTenant();
    const b = await createTenant();
    expect((await call("/api/tags", { token: a.token, json: { name: "Urgent" } })).status).toBe(201);
    const clash = await call("/api/tags", { token: a.token, json: { name: "URGENT" } });
    expect(clash.status, clash.text).toBe(409);
    expect(clash.body.detail).toContain("already exists");
    const other = await call("/api/tags", { token: b.token, json: { name: "urgent" } });
    expect(other.status, other.text).toBe(201);

    const second = await call("/api/tags", { token: a.token, json: { name: "Later" } });
    const rename = await call(`/api/tags/${second.body.id}`, {
      method: "PATCH",
      token: a.token,
      json: { name: "urgent" },
    });
    expect(rename.status, rename.text).toBe(409);
  });

  it("validates names and colors with problem+json", async () => {
    const tenant = await createTenant();
    const res = await call("/api/tags", { token: tenant.token, json: { name: "", color: "red" } });
    expect(res.status, res.text).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.body.code).toBe("VALIDATION_FAILED");
    const paths = res.body.errors.map((e: { path: string[] }) => e.path.join("."));
    expect(paths).toEqual(expect.arrayContaining(["name", "color"]));
    const empty = await call(`/api/tags/${crypto.randomUUID()}`, { method: "PATCH", token: tenant.token, json: {} });
    expect(empty.status, empty.text).toBe(400);
  });

  it("lets agents read tags but not manage them", async () => {
    const tenant = await createTenant();
    const agent = await createMember(tenant, "agent");
    const tag = await call("/api/tags", { token: tenant.token, json: { name: "Billing" } });
    expect((await call("/api/tags", { token: agent.token })).status).toBe(200);
    expect((await call(`/api/tags/${tag.body.id}`, { token: agent.token })).status).toBe(200);
    const create = await call("/api/tags", { token: agent.token, json: { name: "Mine" } });
    expect(create.status, create.text).toBe(403);
    const patch = await call(`/api/tags/${tag.body.id}`, { method: "PATCH", token: agent.token, json: { name: "X" } });
    expect(patch.status, patch.text).toBe(403);
    expect((await call(`/api/tags/${tag.body.id}`, { method: "DELETE", token: agent.token })).status).toBe(403);

    const supervisor = await createMember(tenant, "supervisor");
    const bySupervisor = await call("/api/tags", { token: supervisor.token, json: { name: "Sales" } });
    expect(bySupervisor.status, bySupervisor.text).toBe(201);
  });

  it("answers 404 for another organization's tag", async () => {
    const a = await createTenant();
    const b = await createTenant();
    const tag = await call("/api/tags", { token: a.token, json: { name: "Secret" } });
    const path = `/api/tags/${tag.body.id}`;
    expect((await call(path, { token: b.token })).status).toBe(404);
    const patch = await call(path, { method: "PATCH", token: b.apiKey, json: { name: "Mine" } });
    expect(patch.status, patch.text).toBe(404);
    expect((await call(path, { method: "DELETE", token: b.token })).status).toBe(404);
    const list = await call("/api/tags?limit=100", { token: b.token });
    expect(list.body.data).toEqual([]);
    expect((await call(path, { token: a.token })).body.name).toBe("Secret");
  });

  it("deletes a tag and removes it from the tickets that carried it", async () => {
    const tenant = await createTenant();
    const tag = await call("/api/tags", { token: tenant.token, json: { name: "Refund" } });
    const contact = await call("/api/contacts", { token: tenant.token, json: { name: "Tagged" } });
    expect(contact.status, contact.text).toBe(201);
    const ticketId = await withDb(async (db) => {
      const ticket = await insertTicket(db, { organizationId: tenant.organizationId, contactId: contact.body.id });
      await db
        .insert(ticketTags)
        .values({ ticketId: ticket.id, tagId: tag.body.id, organizationId: tenant.organizationId });
      return ticket.id;
    });

    const carried = () => withDb((db) => db.select().from(ticketTags).where(eq(ticketTags.ticketId, ticketId)));
    expect(await carried()).toHaveLength(1);
    const removed = await call(`/api/tags/${tag.body.id}`, { method: "DELETE", token: tenant.token });
    expect(removed.status, removed.text).toBe(204);
    expect((await call(`/api/tags/${tag.body.id}`, { token: tenant.token })).status).toBe(404);
    expect(await carried()).toEqual([]);
  });

  it("paginates newest first until nextCursor is null", async () => {
    const tenant = await createTenant();
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await call("/api/tags", { token: tenant.token, json: { name: `tag-${i}` } });
      made.push(res.body.id);
    }
    const { ids, pages } = await collectPages("/api/tags", tenant.token, 2);
    expect(pages).toBe(3);
    expect(ids).toEqual([...made].reverse());
    expect((await call("/api/tags?cursor=bm9wZQ", { token: tenant.token })).status).toBe(400);
  });
});
