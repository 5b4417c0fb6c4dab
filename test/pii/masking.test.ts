// Phones and e-mails: masked in lists unless an admin or supervisor reveals them (audited), in full
// on one resource for those who work it, per the deployment's and the organization's setting.
import { afterEach, describe, expect, it, vi } from "vitest";
import { leads } from "@/db/schema";
import { auditEntries } from "../audit/support";
import { withDb } from "../support/db";
import { createMember, createTenant, type Tenant, unique } from "../support/fixtures";
import { call } from "../support/http";
import { metaMessagePayload, postMeta } from "../support/meta";
import { conversation } from "../support/scenario";

afterEach(() => vi.restoreAllMocks());

const PHONE = "+5511987654321";
const MASKED_PHONE = "+55*******4321";
const EMAIL = "maria.souza@example.com";
const MASKED_EMAIL = "m***@example.com";
const CARD_PHONE = "5511911112222";

/** Maria's conversation with an e-mail on her contact, a lead, and a contact card she shared. */
async function world() {
  const convo = await conversation();
  const { tenant, ticket } = convo;
  const detail = await call(`/api/tickets/${ticket.id}`, { token: tenant.token });
  const contactId = detail.body.contact.id as string;
  const edited = await call(`/api/contacts/${contactId}`, {
    method: "PATCH",
    token: tenant.token,
    json: { email: EMAIL },
  });
  expect(edited.status, edited.text).toBe(200);
  const [lead] = await withDb((db) =>
    db
      .insert(leads)
      .values({ organizationId: tenant.organizationId, contactId, name: "Maria", email: EMAIL, source: "api" })
      .returning(),
  );
  const card = metaMessagePayload(convo.phoneNumberId, {
    type: "contacts",
    contacts: [
      {
        name: { formatted_name: "João" },
        phones: [{ phone: "+55 11 91111-2222", wa_id: CARD_PHONE }],
        emails: [{ email: "joao@example.com" }],
      },
    ],
  });
  expect((await postMeta(convo.channel.id, convo.config.appSecret, card)).status).toBe(200);
  return { ...convo, contactId, leadId: lead?.id as string };
}

/** Every list that carries Maria's phone or e-mail, and where in it. */
const lists = (w: Awaited<ReturnType<typeof world>>) => [
  { path: "/api/contacts", name: "contacts", read: (b: Body) => [b.data[0].phone, b.data[0].email] },
  { path: "/api/tickets", name: "tickets", read: (b: Body) => [b.data[0].contact.phone] },
  { path: "/api/leads", name: "leads", read: (b: Body) => [b.data[0].email] },
  {
    path: `/api/tickets/${w.ticket.id}/messages`,
    name: "ticket_messages",
    read: (b: Body) => {
      const card = b.data.find((m: { type: string }) => m.type === "contact");
      return [card.content.contacts[0].phones[0].wa_id, card.content.contacts[0].emails[0].email];
    },
  },
  { path: "/api/interactions", name: "interactions", read: (b: Body) => [b.data[0].contact.phone] },
];
// biome-ignore lint/suspicious/noExplicitAny: list bodies are read by the path each list puts the value at
type Body = any;

const full = (name: string) =>
  name === "ticket_messages"
    ? [CARD_PHONE, "joao@example.com"]
    : name === "tickets" || name === "interactions"
      ? [PHONE]
      : name === "leads"
        ? [EMAIL]
        : [PHONE, EMAIL];
const masked = (name: string) =>
  name === "ticket_messages"
    ? ["55*******2222", "j***@example.com"]
    : name === "tickets" || name === "interactions"
      ? [MASKED_PHONE]
      : name === "leads"
        ? [MASKED_EMAIL]
        : [MASKED_PHONE, MASKED_EMAIL];

async function read(path: string, token: string, env?: Record<string, unknown>) {
  const res = await call(path, { token, env });
  expect(res.status, res.text).toBe(200);
  return res;
}

describe("PII masking in lists", () => {
  it("masks phones and e-mails in every list by default, for every role", async () => {
    const w = await world();
    const agent = await createMember(w.tenant, "agent");
    for (const list of lists(w)) {
      for (const token of [w.tenant.token, agent.token]) {
        const res = await read(list.path, token);
        expect(list.read(res.body), `${list.path}: ${res.text}`).toEqual(masked(list.name));
        for (const value of full(list.name)) expect(res.text, list.path).not.toContain(value);
      }
    }
  });

  it("shows them in full with reveal=true to admins and supervisors, recording which list and filters", async () => {
    const w = await world();
    const supervisor = await createMember(w.tenant, "supervisor");
    for (const list of lists(w)) {
      for (const token of [w.tenant.token, supervisor.token]) {
        const res = await read(`${list.path}${list.path.includes("?") ? "&" : "?"}reveal=true`, token);
        expect(list.read(res.body), `${list.path}: ${res.text}`).toEqual(full(list.name));
      }
    }
    const reveals = await auditEntries(w.tenant.token, { action: "pii.revealed" });
    expect(reveals.map((e) => e.targetId).sort()).toEqual(
      lists(w)
        .flatMap((l) => [l.name, l.name])
        .sort(),
    );
    expect(new Set(reveals.map((e) => e.actor.id))).toEqual(new Set([w.tenant.userId, supervisor.userId]));
    // The list's filters are kept, masked; the values shown are not.
    const filtered = await read(`/api/tickets?reveal=true&contactPhone=${encodeURIComponent(PHONE)}`, w.tenant.token);
    expect(filtered.body.data).toHaveLength(1);
    const [last] = await auditEntries(w.tenant.token, { action: "pii.revealed" });
    expect(last?.metadata).toEqual({ list: "tickets", filters: { contactPhone: MASKED_PHONE } });
    expect(JSON.stringify(reveals)).not.toContain(PHONE);
    expect(JSON.stringify(reveals)).not.toContain(EMAIL);
  });

  it("refuses reveal=true to agents and agent API keys (403), recording nothing", async () => {
    const w = await world();
    const agent = await createMember(w.tenant, "agent");
    const agentKey = await call("/api/api-keys", { token: w.tenant.token, json: { name: "bot", role: "agent" } });
    for (const list of lists(w)) {
      for (const token of [agent.token, agentKey.body.key]) {
        const res = await call(`${list.path}?reveal=true`, { token });
        expect(res.status, `${list.path}: ${res.text}`).toBe(403);
        expect(res.headers.get("content-type")).toBe("application/problem+json");
        expect(res.text).not.toContain(PHONE);
      }
    }
    expect(await auditEntries(w.tenant.token, { action: "pii.revealed" })).toEqual([]);
  });
});

describe("PII in single resources", () => {
  it("shows a contact in full to admins, supervisors and the agent its ticket is assigned to; masked to other agents", async () => {
    const w = await world();
    const supervisor = await createMember(w.tenant, "supervisor");
    const assigned = await createMember(w.tenant, "agent");
    const other = await createMember(w.tenant, "agent");
    const assign = await call(`/api/tickets/${w.ticket.id}/assign`, {
      token: w.tenant.token,
      json: { assigneeId: assigned.userId },
    });
    expect(assign.status, assign.text).toBe(200);
    const resources = [
      { path: `/api/contacts/${w.contactId}`, read: (b: Body) => [b.phone, b.email] },
      { path: `/api/tickets/${w.ticket.id}`, read: (b: Body) => [b.contact.phone] },
      { path: `/api/leads/${w.leadId}`, read: (b: Body) => [b.email] },
    ];
    for (const resource of resources) {
      for (const token of [w.tenant.token, supervisor.token, assigned.token]) {
        const res = await read(resource.path, token);
        expect(resource.read(res.body), res.text).not.toContainEqual(expect.stringContaining("***"));
      }
      const res = await read(resource.path, other.token);
      expect(resource.read(res.body), res.text).toEqual(
        resource.read(res.body).map((v: string) => (v.includes("@") ? MASKED_EMAIL : MASKED_PHONE)),
      );
      expect(res.text).not.toContain(PHONE);
      expect(res.text).not.toContain(EMAIL);
    }
    // The shared card in the ticket's last messages follows the ticket's rule.
    const detail = await read(`/api/tickets/${w.ticket.id}`, other.token);
    expect(detail.text).not.toContain(CARD_PHONE);
    expect((await read(`/api/tickets/${w.ticket.id}`, assigned.token)).text).toContain(CARD_PHONE);
  });
});

describe("the masking switch", () => {
  it("follows the organization's choice over the deployment's, and only an admin changes it (audited)", async () => {
    const w = await world();
    const agent = await createMember(w.tenant, "agent");
    const supervisor = await createMember(w.tenant, "supervisor");
    const neighbour = await conversation();
    const phoneOf = async (token: string, env?: Record<string, unknown>) =>
      (await read("/api/contacts", token, env)).body.data[0].phone;
    const privacy = (tenant: Tenant | { token: string }, piiMasking: boolean | null) =>
      call("/api/organization/privacy", { method: "PATCH", token: tenant.token, json: { piiMasking } });

    expect((await privacy(supervisor, false)).status).toBe(403);
    const off = await privacy(w.tenant, false);
    expect(off.body).toEqual({ piiMasking: { deployment: true, organization: false, effective: false } });
    expect(await phoneOf(agent.token)).toBe(PHONE);
    expect(await phoneOf(neighbour.tenant.token)).toBe(MASKED_PHONE);

    // The deployment off: lists in full, unless the organization masks anyway.
    const deploymentOff = { PII_MASKING_ENABLED: "false" };
    expect(await phoneOf(neighbour.tenant.token, deploymentOff)).toBe(PHONE);
    await privacy(w.tenant, true);
    expect(await phoneOf(agent.token, deploymentOff)).toBe(MASKED_PHONE);
    const back = await privacy(w.tenant, null);
    expect(back.body.piiMasking).toEqual({ deployment: true, organization: null, effective: true });
    expect(await phoneOf(agent.token)).toBe(MASKED_PHONE);

    const changes = await auditEntries(w.tenant.token, { action: "organization.pii_masking_changed" });
    expect(changes.map((e) => e.diff?.piiMasking)).toEqual([
      { before: true, after: null },
      { before: false, after: true },
      { before: null, after: false },
    ]);
    const got = await call("/api/organization/privacy", { token: supervisor.token });
    expect(got.body.piiMasking.effective).toBe(true);
  });

  it("keeps logs masked whatever the setting", async () => {
    const tenant = await createTenant();
    await call("/api/organization/privacy", { method: "PATCH", token: tenant.token, json: { piiMasking: false } });
    const lines: string[] = [];
    vi.spyOn(console, "warn").mockImplementation((line: unknown) => lines.push(String(line)));
    const email = `${unique("nobody")}@example.com`;
    const res = await call("/api/auth/login", { json: { email, password: "whatever-password" } });
    expect(res.status).toBe(401);
    const line = lines.find((l) => l.includes("sign-in failed for an unknown e-mail"));
    expect(line).toBeDefined();
    expect(line).not.toContain(email);
    expect(JSON.parse(line ?? "{}").email).toBe(`n***@example.com`);
  });
});
