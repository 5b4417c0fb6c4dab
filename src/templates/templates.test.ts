import { describe, expect, it } from "vitest";
import { createTenant } from "../../test/support/fixtures";
import { collectPages, createMember, insertTicket, withDb } from "../../test/support/helpdesk";
import { call } from "../../test/support/http";

const GREETING =
  "Hi {{contact.name}} ({{contact.phone}}), {{agent.name}} here about #{{ticket.number}}. {{contact.name}}?";

describe("templates", () => {
  it("creates, reads, updates and deletes a template exposing its variables", async () => {
    const tenant = await createTenant();
    const created = await call("/api/templates", {
      token: tenant.token,
      json: { name: "Greeting", body: GREETING, language: "pt_BR", providerTemplateName: "greeting_v1" },
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({
      name: "Greeting",
      body: GREETING,
      language: "pt_BR",
      providerTemplateName: "greeting_v1",
      variables: ["contact.name", "contact.phone", "agent.name", "ticket.number"],
    });

    const path = `/api/templates/${created.body.id}`;
    const updated = await call(path, {
      method: "PATCH",
      token: tenant.token,
      json: { body: "Bye {{agent.name}}", language: null },
    });
    expect(updated.status, updated.text).toBe(200);
    expect(updated.body).toMatchObject({ body: "Bye {{agent.name}}", language: null, variables: ["agent.name"] });
    expect((await call(path, { token: tenant.apiKey })).body).toEqual(updated.body);

    const removed = await call(path, { method: "DELETE", token: tenant.token });
    expect(removed.status, removed.text).toBe(204);
    expect((await call(path, { token: tenant.token })).status).toBe(404);
  });

  it("validates input and refuses a duplicate name in any case", async () => {
    const tenant = await createTenant();
    const bad = await call("/api/templates", {
      token: tenant.token,
      json: { name: "X", body: "", language: "Portuguese!" },
    });
    expect(bad.status, bad.text).toBe(400);
    expect(bad.headers.get("content-type")).toBe("application/problem+json");
    const paths = bad.body.errors.map((e: { path: string[] }) => e.path.join("."));
    expect(paths).toEqual(expect.arrayContaining(["body", "language"]));

    expect((await call("/api/templates", { token: tenant.token, json: { name: "Close", body: "Bye" } })).status).toBe(
      201,
    );
    const clash = await call("/api/templates", { token: tenant.token, json: { name: "CLOSE", body: "Bye!" } });
    expect(clash.status, clash.text).toBe(409);
    expect(clash.body.detail).toContain("already exists");
  });

  it("lets agents read and render templates but not manage them", async () => {
    const tenant = await createTenant();
    const agent = await createMember(tenant, "agent", "Ari Agent");
    const template = await call("/api/templates", {
      token: tenant.token,
      json: { name: "Sign-off", body: "Regards, {{agent.name}}" },
    });
    const path = `/api/templates/${template.body.id}`;
    expect((await call("/api/templates", { token: agent.token })).status).toBe(200);
    expect((await call(path, { token: agent.token })).status).toBe(200);
    const render = await call(`${path}/render`, { token: agent.token, json: {} });
    expect(render.status, render.text).toBe(200);
    expect(render.body).toEqual({ body: "Regards, Ari Agent", missing: [] });

    const create = await call("/api/templates", { token: agent.token, json: { name: "Mine", body: "x" } });
    expect(create.status, create.text).toBe(403);
    expect((await call(path, { method: "PATCH", token: agent.token, json: { body: "y" } })).status).toBe(403);
    expect((await call(path, { method: "DELETE", token: agent.token })).status).toBe(403);
  });

  it("renders with the ticket, its contact and the caller", async () => {
    const tenant = await createTenant();
    const template = await call("/api/templates", { token: tenant.token, json: { name: "Hello", body: GREETING } });
    const contact = await call("/api/contacts", {
      token: tenant.token,
      json: { name: "Maria Souza", phone: "+55 11 98765-4321" },
    });
    expect(contact.status, contact.text).toBe(201);
    const ticket = await withDb((db) =>
      insertTicket(db, { organizationId: tenant.organizationId, contactId: contact.body.id }),
    );
    const path = `/api/templates/${template.body.id}/render`;

    const byTicket = await call(path, { token: tenant.token, json: { ticketId: ticket.id } });
    expect(byTicket.status, byTicket.text).toBe(200);
    expect(byTicket.body).toEqual({
      body: `Hi Maria Souza (+5511987654321), Ana Admin here about #${ticket.number}. Maria Souza?`,
      missing: [],
    });

    // An API key has no person behind it, and no ticket was given: those render empty.
    const byKey = await call(path, { token: tenant.apiKey, json: { contactId: contact.body.id } });
    expect(byKey.status, byKey.text).toBe(200);
    expect(byKey.body).toEqual({
      body: "Hi Maria Souza (+5511987654321),  here about #. Maria Souza?",
      missing: ["agent.name", "ticket.number"],
    });
  });

  it("answers 404 for another organization's template, contact or ticket", async () => {
    const a = await createTenant();
    const b = await createTenant();
    const templateA = await call("/api/templates", { token: a.token, json: { name: "A", body: "{{contact.name}}" } });
    const templateB = await call("/api/templates", { token: b.token, json: { name: "B", body: "{{contact.name}}" } });
    const contactA = await call("/api/contacts", { token: a.token, json: { name: "Only A" } });
    const ticketA = await withDb((db) =>
      insertTicket(db, { organizationId: a.organizationId, contactId: contactA.body.id }),
    );
    const path = `/api/templates/${templateA.body.id}`;

    expect((await call(path, { token: b.token })).status).toBe(404);
    expect((await call(path, { method: "PATCH", token: b.token, json: { body: "z" } })).status).toBe(404);
    expect((await call(path, { method: "DELETE", token: b.apiKey })).status).toBe(404);
    expect((await call(`${path}/render`, { token: b.token, json: {} })).status).toBe(404);
    const foreignContact = await call(`/api/templates/${templateB.body.id}/render`, {
      token: b.token,
      json: { contactId: contactA.body.id },
    });
    expect(foreignContact.status, foreignContact.text).toBe(404);
    expect(foreignContact.body.detail).toContain("contact");
    const foreignTicket = await call(`/api/templates/${templateB.body.id}/render`, {
      token: b.token,
      json: { ticketId: ticketA.id },
    });
    expect(foreignTicket.status, foreignTicket.text).toBe(404);
    expect(foreignTicket.body.detail).toContain("ticket");
    expect((await call("/api/templates?limit=100", { token: b.token })).body.data).toHaveLength(1);
  });

  it("paginates newest first", async () => {
    const tenant = await createTenant();
    const made: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await call("/api/templates", { token: tenant.token, json: { name: `T${i}`, body: "x" } });
      made.push(res.body.id);
    }
    const { ids, pages } = await collectPages("/api/templates", tenant.token, 1);
    expect(pages).toBe(3);
    expect(ids).toEqual([...made].reverse());
  });
});
