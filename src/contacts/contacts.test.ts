import { describe, expect, it } from "vitest";
import { createTenant } from "../../test/support/fixtures";
import { collectPages, createMember } from "../../test/support/helpdesk";
import { call } from "../../test/support/http";

type Page = { data: { id: string; name: string | null; phone: string | null }[]; nextCursor: string | null };

describe("contacts", () => {
  it("creates a contact with a normalized phone and reads it with identities and ticket counts", async () => {
    const tenant = await createTenant();
    const created = await call("/api/contacts", {
      token: tenant.token,
      json: { phone: "(11) 98765-4321", name: "  Maria Souza ", email: "Maria@Example.com" },
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      phone: "+5511987654321",
      phoneVerified: true,
      name: "Maria Souza",
      email: "maria@example.com",
      optOut: false,
      optOutAt: null,
      metadata: {},
      mergedIntoId: null,
      lastInboundAt: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });

    const read = await call(`/api/contacts/${created.body.id}`, { token: tenant.apiKey });
    expect(read.status, read.text).toBe(200);
    expect(read.body).toEqual({
      ...created.body,
      identities: [],
      ticketCounts: { total: 0, open: 0, pending: 0, resolved: 0, closed: 0 },
    });
  });

  it("records opt-out time, keeps it on a repeated opt-out and clears it on opt-in", async () => {
    const tenant = await createTenant();
    const agent = await createMember(tenant, "agent");
    const created = await call("/api/contacts", { token: agent.token, json: { name: "Rui" } });
    expect(created.status, created.text).toBe(201);
    const path = `/api/contacts/${created.body.id}`;

    const out = await call(path, { method: "PATCH", token: agent.token, json: { optOut: true } });
    expect(out.status, out.text).toBe(200);
    expect(out.body.optOut).toBe(true);
    expect(Date.now() - Date.parse(out.body.optOutAt)).toBeLessThan(60_000);
    const again = await call(path, { method: "PATCH", token: agent.token, json: { optOut: true } });
    expect(again.body.optOutAt).toBe(out.body.optOutAt);
    const back = await call(path, { method: "PATCH", token: agent.token, json: { optOut: false } });
    expect(back.body).toMatchObject({ optOut: false, optOutAt: null });

    const edited = await call(path, {
      method: "PATCH",
      token: agent.token,
      json: { name: "Rui Costa", email: "rui@example.com", phone: "+1 415 555 2671", metadata: { plan: "gold" } },
    });
    expect(edited.status, edited.text).toBe(200);
    expect(edited.body).toMatchObject({
      name: "Rui Costa",
      email: "rui@example.com",
      phone: "+14155552671",
      metadata: { plan: "gold" },
    });
    const cleared = await call(path, { method: "PATCH", token: agent.token, json: { email: null, metadata: {} } });
    expect(cleared.body).toMatchObject({ email: null, metadata: {}, name: "Rui Costa" });
  });

  it("answers 400 problem+json for a bad phone, a missing phone and name, or an emptied contact", async () => {
    const tenant = await createTenant();
    const badPhone = await call("/api/contacts", { token: tenant.token, json: { phone: "12-34", name: "X" } });
    expect(badPhone.status, badPhone.text).toBe(400);
    expect(badPhone.headers.get("content-type")).toBe("application/problem+json");
    expect(badPhone.body.code).toBe("VALIDATION_FAILED");
    expect(badPhone.body.errors).toEqual([expect.objectContaining({ path: ["phone"] })]);
    expect(badPhone.body.errors[0].message).toContain("valid phone number");

    const nothing = await call("/api/contacts", { token: tenant.token, json: { email: "x@example.com" } });
    expect(nothing.status, nothing.text).toBe(400);
    expect(nothing.body.errors[0].message).toBe("send a phone number or a name");

    const named = await call("/api/contacts", { token: tenant.token, json: { name: "Only a name" } });
    const emptied = await call(`/api/contacts/${named.body.id}`, {
      method: "PATCH",
      token: tenant.token,
      json: { name: null },
    });
    expect(emptied.status, emptied.text).toBe(400);
    expect(emptied.body).toMatchObject({
      code: "VALIDATION_FAILED",
      detail: "A contact needs a phone number or a name.",
    });
  });

  it("refuses a second contact with the same phone in any format, but not in another organization", async () => {
    const a = await createTenant();
    const b = await createTenant();
    expect((await call("/api/contacts", { token: a.token, json: { phone: "+5511987654321" } })).status).toBe(201);
    const clash = await call("/api/contacts", { token: a.token, json: { phone: "+55 11 8765-4321" } });
    expect(clash.status, clash.text).toBe(409);
    expect(clash.body.detail).toContain("already has this phone number");
    expect((await call("/api/contacts", { token: b.token, json: { phone: "+5511987654321" } })).status).toBe(201);

    const other = await call("/api/contacts", { token: a.token, json: { name: "Other" } });
    const steal = await call(`/api/contacts/${other.body.id}`, {
      method: "PATCH",
      token: a.token,
      json: { phone: "(11) 98765-4321" },
    });
    expect(steal.status, steal.text).toBe(409);
  });

  it("searches by name with literal % and _, by normalized phone and by phone digits", async () => {
    const tenant = await createTenant();
    const names = ["100% Maria", "Maria_Jose", "MARIANA", "Joana"];
    const ids: Record<string, string> = {};
    for (const [i, name] of names.entries()) {
      const res = await call("/api/contacts", {
        token: tenant.token,
        json: { name, phone: `+55119876500${i}${i}` },
      });
      expect(res.status, res.text).toBe(201);
      ids[name] = res.body.id;
    }
    const search = async (q: string) => {
      const res = await call<Page>(`/api/contacts?q=${encodeURIComponent(q)}`, { token: tenant.token });
      expect(res.status, res.text).toBe(200);
      return res.body.data.map((c) => c.name);
    };
    expect(await search("maria")).toEqual(["MARIANA", "Maria_Jose", "100% Maria"]);
    expect(await search("%")).toEqual(["100% Maria"]);
    expect(await search("a_j")).toEqual(["Maria_Jose"]);
    expect(await search("(11) 98765-0033")).toEqual(["Joana"]);
    expect(await search("500 1")).toEqual(["Maria_Jose"]);
    expect(await search("0022")).toEqual(["MARIANA"]);
    expect(await search("nobody")).toEqual([]);
  });

  it("finds a phone by its digits with or without the country code and the ninth digit", async () => {
    const tenant = await createTenant();
    const made = await call("/api/contacts", {
      token: tenant.token,
      json: { name: "Celular", phone: "+5511987654321" },
    });
    expect(made.status, made.text).toBe(201);
    for (const q of [
      "+55 11 98765-4321",
      "5511987654321",
      "(11) 98765-4321",
      "11 8765-4321",
      "551187654321",
      "87654321",
    ]) {
      const res = await call<Page>(`/api/contacts?q=${encodeURIComponent(q)}`, { token: tenant.token });
      expect(
        res.body.data.map((c) => c.id),
        `q=${q}: ${res.text}`,
      ).toEqual([made.body.id]);
    }
  });

  it("paginates newest first, also within a search", async () => {
    const tenant = await createTenant();
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await call("/api/contacts", {
        token: tenant.token,
        json: { name: i % 2 ? `Odd ${i}` : `Even ${i}` },
      });
      made.push(res.body.id);
    }
    const all = await collectPages("/api/contacts", tenant.token, 2);
    expect(all.pages).toBe(3);
    expect(all.ids).toEqual([...made].reverse());
    const even = await collectPages("/api/contacts?q=even", tenant.token, 2);
    expect(even.ids).toEqual([made[4], made[2], made[0]]);
    expect(even.pages).toBe(2);
  });

  it("answers 404 for another organization's contact and never lists it", async () => {
    const a = await createTenant();
    const b = await createTenant();
    const contact = await call("/api/contacts", {
      token: a.token,
      json: { name: "Private Person", phone: "+14155552671" },
    });
    const path = `/api/contacts/${contact.body.id}`;
    const mine = await call("/api/contacts", { token: b.token, json: { name: "Mine" } });
    for (const credential of [b.token, b.apiKey]) {
      const read = await call(path, { token: credential });
      expect(read.status, read.text).toBe(404);
      expect(read.headers.get("content-type")).toBe("application/problem+json");
      expect((await call(path, { method: "PATCH", token: credential, json: { name: "Hijack" } })).status).toBe(404);
      const merge = await call(`${path}/merge`, { token: credential, json: { duplicateId: mine.body.id } });
      expect(merge.status, merge.text).toBe(404);
      const pull = await call(`/api/contacts/${mine.body.id}/merge`, {
        token: credential,
        json: { duplicateId: contact.body.id },
      });
      expect(pull.status, pull.text).toBe(404);
      const list = await call<Page>("/api/contacts?q=private&limit=100", { token: credential });
      expect(list.body.data).toEqual([]);
      expect((await call<Page>("/api/contacts?q=4155552671", { token: credential })).body.data).toEqual([]);
    }
    expect((await call(path, { token: a.token })).body.name).toBe("Private Person");
  });
});
