// The leads API on leads written straight into the database: filters, search, keyset pages,
// edits by people (null erases, temperature changes recorded), quotes, and organization isolation.
import { describe, expect, it } from "vitest";
import { leads } from "@/db/schema";
import { withDb } from "../support/db";
import { createTenant, type Tenant } from "../support/fixtures";
import { call } from "../support/http";

async function seedLeads(tenant: Tenant) {
  const specs = [
    { name: "Ana Souza", company: "Acme", temperature: "hot", status: "qualified" },
    { name: "Bruno Lima", company: "Beta", temperature: "warm", status: "new" },
    { name: "Carla Dias", company: "Acme Brasil", temperature: "cold", status: "new" },
    { name: null, company: null, temperature: null, status: "disqualified", contactName: "Davi Rocha" },
    { name: "Eva Melo", interest: "esteira FBM100", temperature: "warm", status: "converted" },
  ] as const;
  const rows = [];
  for (const spec of specs) {
    const contactName = "contactName" in spec ? spec.contactName : (spec.name ?? "x");
    const contact = await call("/api/contacts", { token: tenant.token, json: { name: contactName } });
    expect(contact.status, contact.text).toBe(201);
    const { contactName: _c, ...fields } = spec as typeof spec & { contactName?: string };
    const [row] = await withDb((db) =>
      db
        .insert(leads)
        .values({ organizationId: tenant.organizationId, contactId: contact.body.id, ...fields })
        .returning(),
    );
    rows.push(row as typeof leads.$inferSelect);
  }
  return rows;
}

const names = (body: { data: { name: string | null; contactId: string }[] }) => body.data.map((l) => l.name);

describe("leads API", () => {
  it("filters by temperature, status and contact, searches, and pages newest first", async () => {
    const tenant = await createTenant();
    const rows = await seedLeads(tenant);
    const get = (query: string) => call(`/api/leads${query}`, { token: tenant.token });

    expect(names((await get("")).body)).toEqual(["Eva Melo", null, "Carla Dias", "Bruno Lima", "Ana Souza"]);
    expect(names((await get("?temperature=warm")).body)).toEqual(["Eva Melo", "Bruno Lima"]);
    expect(names((await get("?status=new")).body)).toEqual(["Carla Dias", "Bruno Lima"]);
    expect(names((await get("?status=new&temperature=cold")).body)).toEqual(["Carla Dias"]);
    expect(names((await get(`?contactId=${rows[1]?.contactId}`)).body)).toEqual(["Bruno Lima"]);
    expect(names((await get("?q=acme")).body)).toEqual(["Carla Dias", "Ana Souza"]);
    expect(names((await get("?q=fbm100")).body)).toEqual(["Eva Melo"]);
    // A lead the bot knows nothing about yet is found by its contact's name.
    expect((await get("?q=davi")).body.data.map((l: { id: string }) => l.id)).toEqual([rows[3]?.id]);
    expect(names((await get("?q=100%25")).body)).toEqual([]);

    const seen: (string | null)[] = [];
    let cursor: string | null = null;
    do {
      const page = await get(`?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.status, page.text).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...names(page.body));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(["Eva Melo", null, "Carla Dias", "Bruno Lima", "Ana Souza"]);

    for (const bad of ["?temperature=boiling", "?status=x", "?contactId=nope", "?cursor=garbage", "?limit=0"]) {
      const res = await get(bad);
      expect(res.status, `${bad}: ${res.text}`).toBe(400);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
    }
  });

  it("keeps every organization's leads, quotes and edits to itself", async () => {
    const tenant = await createTenant();
    const [lead] = await seedLeads(tenant);
    const stranger = await createTenant();
    const id = lead?.id ?? "";
    expect((await call("/api/leads", { token: stranger.token })).body.data).toEqual([]);
    expect((await call(`/api/leads?contactId=${lead?.contactId}`, { token: stranger.token })).body.data).toEqual([]);
    for (const [path, init] of [
      [`/api/leads/${id}`, {}],
      [`/api/leads/${id}`, { method: "PATCH", json: { status: "converted" } }],
      [`/api/leads/${id}/quotes`, {}],
      [`/api/leads/${id}/quotes`, { json: { items: [{ description: "x" }] } }],
    ] as const) {
      const res = await call(path, { token: stranger.token, ...init });
      expect(res.status, `${path}: ${res.text}`).toBe(404);
    }
    expect((await call("/api/leads")).status).toBe(401);
    const mine = await call(`/api/leads/${id}`, { token: tenant.token });
    expect(mine.body).toMatchObject({ name: "Ana Souza", status: "qualified" });
  });

  it("a person's edit may erase a field, records a temperature change, and adds quotes", async () => {
    const tenant = await createTenant();
    const [, bruno] = await seedLeads(tenant);
    const id = bruno?.id ?? "";
    const patch = await call(`/api/leads/${id}`, {
      method: "PATCH",
      token: tenant.token,
      json: { company: null, temperature: "hot", quantity: "3", email: "bruno@beta.com" },
    });
    expect(patch.status, patch.text).toBe(200);
    expect(patch.body).toMatchObject({
      company: null,
      companyId: null,
      temperature: "hot",
      status: "qualified",
      quantity: "3",
    });
    const detail = await call(`/api/leads/${id}`, { token: tenant.token });
    expect(detail.body.temperatureHistory).toEqual([
      expect.objectContaining({ from: "warm", to: "hot", actorType: "user", actorId: tenant.userId, ticketId: null }),
    ]);
    expect((await call(`/api/leads/${id}`, { method: "PATCH", token: tenant.token, json: {} })).status).toBe(400);
    expect(
      (await call(`/api/leads/${id}`, { method: "PATCH", token: tenant.token, json: { email: "not-an-email" } }))
        .status,
    ).toBe(400);

    const quote = await call(`/api/leads/${id}/quotes`, {
      token: tenant.token,
      json: {
        items: [
          { description: "FBM100", quantity: "3", unitPrice: "1000.50" },
          { description: "Instalação", quantity: "1", unitPrice: "200" },
        ],
      },
    });
    expect(quote.status, quote.text).toBe(201);
    expect(quote.body).toMatchObject({ source: "api", status: "draft", currency: "BRL", amount: "3201.50" });
    const bad = await call(`/api/leads/${id}/quotes`, {
      token: tenant.token,
      json: { items: [{ description: "x", unitPrice: "12,50" }] },
    });
    expect(bad.status, bad.text).toBe(400);
    const list = await call(`/api/leads/${id}/quotes`, { token: tenant.token });
    expect(list.body.data.map((q: { id: string }) => q.id)).toEqual([quote.body.id]);
  });
});
