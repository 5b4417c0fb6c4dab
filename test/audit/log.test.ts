// GET /api/audit: admins only, filters, keyset pages, one organization's entries; the log cannot be
// changed or deleted, through the API or in the database.
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { withDb } from "../support/db";
import { drivers } from "../support/env";
import { createMember, createTenant, unique } from "../support/fixtures";
import { call, type TestResponse } from "../support/http";
import { auditEntries } from "./support";

/** A tenant whose log holds known entries: three API keys created by the admin, one revoked by a supervisor... */
async function busyTenant(driver: (typeof drivers)[number] = "pg") {
  const tenant = await createTenant({ driver });
  const supervisor = await createMember(tenant, "supervisor");
  const keys: string[] = [];
  for (const name of ["one", "two", "three"]) {
    const res = await call("/api/api-keys", { driver, token: tenant.token, json: { name } });
    expect(res.status, res.text).toBe(201);
    keys.push(res.body.id);
  }
  const revoked = await call(`/api/api-keys/${keys[0]}`, { driver, method: "DELETE", token: tenant.token });
  expect(revoked.status).toBe(204);
  // ...and one contact created by the supervisor.
  const contact = await call("/api/contacts", { driver, token: supervisor.token, json: { name: "Zé" } });
  expect(contact.status, contact.text).toBe(201);
  return { tenant, supervisor, keys, contactId: contact.body.id as string };
}

describe.each(drivers)("the audit log API (%s driver)", (driver) => {
  it("lists the organization's entries newest first, and filters by action, prefix, actor, target and time", async () => {
    const { tenant, supervisor, keys, contactId } = await busyTenant(driver);
    const all = await auditEntries(tenant.token);
    expect(all.map((e) => e.action)).toEqual([
      "contact.created",
      "api_key.revoked",
      "api_key.created",
      "api_key.created",
      "api_key.created",
    ]);
    expect(all.map((e) => e.id)).toEqual([...all.map((e) => e.id)].sort().reverse());

    expect((await auditEntries(tenant.token, { action: "api_key.created" })).map((e) => e.targetId)).toEqual(
      [...keys].reverse(),
    );
    expect(await auditEntries(tenant.token, { action: "api_key.*" })).toHaveLength(4);
    expect(await auditEntries(tenant.token, { action: "api_key" })).toHaveLength(0);
    expect((await auditEntries(tenant.token, { actorId: supervisor.userId })).map((e) => e.action)).toEqual([
      "contact.created",
    ]);
    expect(await auditEntries(tenant.token, { actorType: "api_key" })).toHaveLength(0);
    expect(
      (await auditEntries(tenant.token, { targetType: "api_key", targetId: keys[0] as string })).map((e) => e.action),
    ).toEqual(["api_key.revoked", "api_key.created"]);
    expect(await auditEntries(tenant.token, { targetType: "contact", targetId: contactId })).toHaveLength(1);

    const newest = all[0]?.createdAt as string;
    const oldest = all.at(-1)?.createdAt as string;
    expect(await auditEntries(tenant.token, { from: oldest, to: newest })).toHaveLength(5);
    expect(await auditEntries(tenant.token, { from: new Date(Date.parse(newest) + 1).toISOString() })).toHaveLength(0);
    expect(await auditEntries(tenant.token, { to: new Date(Date.parse(oldest) - 1).toISOString() })).toHaveLength(0);
  });

  it("pages with a cursor through every entry once", async () => {
    const { tenant } = await busyTenant(driver);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: TestResponse<{ data: { id: string }[]; nextCursor: string | null }> = await call(
        `/api/audit?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
        {
          driver,
          token: tenant.token,
        },
      );
      expect(res.status, res.text).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data.map((e: { id: string }) => e.id));
      cursor = res.body.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual((await auditEntries(tenant.token)).map((e) => e.id));
    const bad = await call("/api/audit?cursor=nope", { driver, token: tenant.token });
    expect(bad.status).toBe(400);
  });

  it("is for admins only, and shows one organization's entries to it alone", async () => {
    const { tenant, keys } = await busyTenant(driver);
    const other = await createTenant({ driver });
    for (const role of ["agent", "supervisor"] as const) {
      const member = await createMember(tenant, role);
      const res = await call("/api/audit", { driver, token: member.token });
      expect(res.status, res.text).toBe(403);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
    }
    expect((await call("/api/audit", { driver })).status).toBe(401);
    const theirs = await auditEntries(other.token);
    expect(theirs).toEqual([]);
    expect(await auditEntries(other.token, { targetId: keys[1] as string })).toEqual([]);
    const export_ = await call("/api/audit/export", { driver, token: other.token });
    expect(export_.text).not.toContain(keys[1]);
  });
});

describe("the audit log is append-only", () => {
  it("has no route that changes or deletes an entry", async () => {
    const { tenant } = await busyTenant();
    const [entry] = await auditEntries(tenant.token);
    for (const method of ["PATCH", "PUT", "DELETE"]) {
      const res = await call(`/api/audit/${entry?.id}`, { method, token: tenant.token, json: { action: "x" } });
      expect(res.status, `${method}: ${res.text}`).toBe(404);
      expect((await call("/api/audit", { method, token: tenant.token })).status).toBe(404);
    }
    expect((await auditEntries(tenant.token))[0]).toEqual(entry);
  });

  it("is refused UPDATE, DELETE and TRUNCATE by the database, and keeps its organization from being deleted", async () => {
    const { tenant } = await busyTenant();
    const org = tenant.organizationId;
    const attempts = [
      sql`update audit_log set action = 'nothing.happened' where organization_id = ${org}`,
      sql`delete from audit_log where organization_id = ${org}`,
      sql`delete from organizations where id = ${org}`,
      sql`truncate audit_log`,
    ];
    for (const statement of attempts) {
      // In a transaction that is rolled back whatever happens: without the trigger, nothing is lost.
      const outcome = await withDb((db) =>
        db
          .transaction(async (tx) => {
            await tx.execute(statement);
            throw new Error("the statement went through");
          })
          .then(
            () => "committed",
            (error: Error) => String(error.cause ?? error.message),
          ),
      );
      expect(outcome).toMatch(/audit_log is append-only: (UPDATE|DELETE|TRUNCATE) refused/);
    }
    expect(await auditEntries(tenant.token)).toHaveLength(5);
  });
});

describe("GET /api/audit/export", () => {
  it("answers CSV with a header, neutralizes formula-like cells, pages with X-Next-Cursor and is audited", async () => {
    const { tenant } = await busyTenant();
    // A request id a spreadsheet would read as a formula.
    const hostile = `-${unique("2-injected-")}`;
    await call("/api/api-keys", { token: tenant.token, json: { name: "csv" }, headers: { "x-request-id": hostile } });
    const res = await call("/api/audit/export?action=api_key.*&limit=3", { token: tenant.token });
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="audit-\d{4}-\d\d-\d\d\.csv"$/);
    const lines = res.text.trimEnd().split("\r\n");
    expect(lines[0]).toBe("id,createdAt,action,actorType,actorId,ip,requestId,targetType,targetId,diff,metadata");
    expect(lines).toHaveLength(4);
    expect(lines[1]).toContain(`"'${hostile}"`);
    const cursor = res.headers.get("x-next-cursor");
    expect(cursor).toEqual(expect.any(String));
    const rest = await call(`/api/audit/export?action=api_key.*&limit=3&cursor=${cursor}`, { token: tenant.token });
    expect(rest.text.trimEnd().split("\r\n")).toHaveLength(3);
    expect(rest.headers.get("x-next-cursor")).toBeNull();
    const exports = await auditEntries(tenant.token, { action: "audit.exported" });
    expect(exports.map((e) => e.metadata.rows)).toEqual([2, 3]);
  });
});
