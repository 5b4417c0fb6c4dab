// The ticket API end to end: list filters and search, keyset pages, detail with messages and
// history, outbound-first creation, edits, every action with its rules, the reopen window of
// resolved tickets, the read marker and the statistics.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { tickets } from "@/db/schema";
import { withDb } from "../support/db";
import { createTenant, type Tenant, unique } from "../support/fixtures";
import { call } from "../support/http";
import { metaMessagePayload, postMeta, wamid } from "../support/meta";
import { createChannel } from "../support/provider";
import { seedMember } from "../support/seed";

type Ticket = {
  id: string;
  number: number;
  status: string;
  priority: string;
  subject: string | null;
  channelId: string | null;
  queueId: string | null;
  assigneeId: string | null;
  contact: { id: string; phone: string | null; name: string | null };
  tags: string[];
  unreadCount: number;
  resolvedAt: string | null;
  closedAt: string | null;
  firstResponseDueAt: string | null;
  resolutionDueAt: string | null;
  createdAt: string;
};

/** A Meta channel of the tenant, and a way to post inbound text messages to it. */
async function metaChannel(tenant: Tenant, options: { queueId?: string; settings?: Record<string, unknown> } = {}) {
  const phoneNumberId = unique("pn");
  const config = { phoneNumberId, accessToken: "EAAG-test", appSecret: unique("secret"), verifyToken: "v" };
  const channel = await createChannel(tenant.token, {
    type: "whatsapp_meta",
    config,
    queueId: options.queueId,
    settings: options.settings,
  });
  /** One webhook carrying `texts` as consecutive messages from `from`. */
  const inbound = async (from: string, texts: string | string[], profileName = "Maria Cliente") => {
    const list = Array.isArray(texts) ? texts : [texts];
    const timestamp = String(Math.floor(Date.now() / 1000));
    const payload = metaMessagePayload(phoneNumberId, { type: "text", text: { body: list[0] }, from }, profileName);
    const value = payload.entry[0]?.changes[0]?.value as { messages: unknown[] };
    value.messages = list.map((body) => ({ from, id: wamid(), timestamp, type: "text", text: { body } }));
    const res = await postMeta(channel.id, config.appSecret, payload);
    expect(res.status, res.text).toBe(200);
    expect(res.body.messages, res.text).toBe(list.length);
    return res;
  };
  return { channel, config, inbound };
}

async function createQueue(tenant: Tenant, extra: Record<string, unknown> = {}) {
  const res = await call("/api/queues", { token: tenant.token, json: { name: unique("Fila "), ...extra } });
  expect(res.status, res.text).toBe(201);
  return res.body.id as string;
}

/** A user of the tenant with the given role, signed in. */
async function member(tenant: Tenant, role: "agent" | "supervisor" | "admin") {
  const seeded = await seedMember(tenant.organizationId, role);
  return { id: seeded.userId, token: seeded.token };
}

async function openTicket(token: string, body: Record<string, unknown>): Promise<Ticket> {
  const res = await call("/api/tickets", { token, json: body });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

async function act(token: string, id: string, action: string, json?: unknown) {
  return call(`/api/tickets/${id}/${action}`, { method: "POST", token, ...(json === undefined ? {} : { json }) });
}

async function listIds(token: string, query: string): Promise<string[]> {
  const res = await call(`/api/tickets?limit=100${query ? `&${query}` : ""}`, { token });
  expect(res.status, `${query}: ${res.text}`).toBe(200);
  return res.body.data.map((t: Ticket) => t.id);
}

async function ticketsOfChannel(token: string, channelId: string): Promise<Ticket[]> {
  const res = await call(`/api/tickets?limit=100&channelId=${channelId}`, { token });
  expect(res.status, res.text).toBe(200);
  return res.body.data;
}

const setTicket = (id: string, values: Partial<typeof tickets.$inferInsert>) =>
  withDb((db) => db.update(tickets).set(values).where(eq(tickets.id, id)));

describe("GET /api/tickets", () => {
  // Five tickets that differ in status, queue, channel, assignee, contact, tags, subject and messages.
  async function world() {
    const tenant = await createTenant();
    const q1 = await createQueue(tenant);
    const q2 = await createQueue(tenant);
    const agent = await member(tenant, "agent");
    const c1 = await metaChannel(tenant);
    const c2 = await metaChannel(tenant, { queueId: q2 });
    const word = unique("boleto");
    const alice = unique("Alice");

    // A: the customer wrote first on channel 1; open, unassigned, no queue.
    await c1.inbound("5511900000001", `quero a segunda via do ${word}`, alice);
    const [a] = await ticketsOfChannel(tenant.token, c1.channel.id);
    if (!a) throw new Error("inbound created no ticket");
    // B: outbound-first on channel 1 in queue 1, assigned, tagged vip.
    const bruno = unique("Bruno");
    const b = await openTicket(tenant.token, {
      channelId: c1.channel.id,
      phone: "(11) 90000-0002",
      name: bruno,
      subject: "Promoção de 100% no frete",
      queueId: q1,
    });
    expect((await act(tenant.token, b.id, "assign", { assigneeId: agent.id })).status).toBe(200);
    // C: channel 2 (queue 2 by default), pending, tagged vip + billing.
    const c = await openTicket(tenant.token, {
      channelId: c2.channel.id,
      phone: "+55 11 90000-0003",
      name: unique("Carla"),
      subject: "Cancelamento do plano",
    });
    // D: channel 2 for A's contact, resolved.
    const d = await openTicket(tenant.token, {
      channelId: c2.channel.id,
      contactId: a.contact.id,
      subject: "Reembolso",
    });
    // E: channel 1, a fourth contact, assigned then closed.
    const e = await openTicket(tenant.token, {
      channelId: c1.channel.id,
      phone: "(11) 90000-0004",
      subject: "Desconto 10x sem juros",
    });
    expect((await act(tenant.token, e.id, "assign", { assigneeId: agent.id })).status).toBe(200);

    const tagB = await call(`/api/tickets/${b.id}`, { method: "PATCH", token: tenant.token, json: { tags: ["vip"] } });
    expect(tagB.status, tagB.text).toBe(200);
    const tagC = await call(`/api/tickets/${c.id}`, {
      method: "PATCH",
      token: tenant.token,
      json: { status: "pending", tags: ["vip", "billing"] },
    });
    expect(tagC.status, tagC.text).toBe(200);
    expect((await act(tenant.token, d.id, "resolve")).status).toBe(200);
    expect((await act(tenant.token, e.id, "close")).status).toBe(200);
    return { tenant, agent, q1, q2, c1, c2, word, alice, bruno, a, b, c, d, e };
  }

  it("narrows by every filter, alone and combined, newest first", async () => {
    const w = await world();
    const { tenant, a, b, c, d, e } = w;
    const ids = (query: string) => listIds(tenant.token, query);
    expect(c.queueId, "a channel's queue is the default queue of its tickets").toBe(w.q2);
    expect(d.contact.id).toBe(a.contact.id);

    expect(await ids("")).toEqual([e.id, d.id, c.id, b.id, a.id]);
    expect(await ids("status=open")).toEqual([b.id, a.id]);
    expect(await ids("status=open,pending")).toEqual([c.id, b.id, a.id]);
    expect(await ids("status=resolved,closed")).toEqual([e.id, d.id]);
    expect(await ids("status=closed")).toEqual([e.id]);
    expect(await ids(`queueId=${w.q1}`)).toEqual([b.id]);
    expect(await ids(`queueId=${w.q2}`)).toEqual([d.id, c.id]);
    expect(await ids(`assigneeId=${w.agent.id}`)).toEqual([e.id, b.id]);
    expect(await ids("assigneeId=none")).toEqual([d.id, c.id, a.id]);
    expect(await ids(`channelId=${w.c1.channel.id}`)).toEqual([e.id, b.id, a.id]);
    expect(await ids(`channelId=${w.c2.channel.id}`)).toEqual([d.id, c.id]);
    expect(await ids(`contactId=${a.contact.id}`)).toEqual([d.id, a.id]);
    expect(await ids(`contactId=${c.contact.id}`)).toEqual([c.id]);
    // contactPhone is normalized to E.164 whatever format it comes in.
    expect(await ids(`contactPhone=${encodeURIComponent("(11) 90000-0001")}`)).toEqual([d.id, a.id]);
    expect(await ids(`contactPhone=${encodeURIComponent("+5511900000003")}`)).toEqual([c.id]);
    expect(await ids("contactPhone=5511900000004")).toEqual([e.id]);
    expect(await ids(`contactPhone=${encodeURIComponent("+5511900000099")}`)).toEqual([]);
    // Tags match by name, ignoring case.
    expect(await ids("tag=VIP")).toEqual([c.id, b.id]);
    expect(await ids("tag=billing")).toEqual([c.id]);
    expect(await ids("tag=nonexistent")).toEqual([]);
    // Combinations are ANDed.
    expect(await ids("status=open&assigneeId=none")).toEqual([a.id]);
    expect(await ids(`channelId=${w.c2.channel.id}&status=resolved`)).toEqual([d.id]);
    expect(await ids(`tag=vip&assigneeId=${w.agent.id}`)).toEqual([b.id]);
    expect(await ids(`queueId=${w.q1}&status=closed`)).toEqual([]);

    // Contact and tag names are presented with each ticket (phones revealed: lists mask them by default).
    const list = await call("/api/tickets?limit=100&reveal=true", { token: tenant.token });
    const byId = new Map<string, Ticket>(list.body.data.map((t: Ticket) => [t.id, t]));
    expect(byId.get(a.id)).toMatchObject({ status: "open", contact: { phone: "+5511900000001", name: w.alice } });
    expect(byId.get(b.id)).toMatchObject({
      status: "open",
      queueId: w.q1,
      assigneeId: w.agent.id,
      tags: ["vip"],
      contact: { phone: "+5511900000002", name: w.bruno },
    });
    expect(byId.get(c.id)).toMatchObject({ status: "pending", tags: ["billing", "vip"] });
    expect(byId.get(d.id)?.status).toBe("resolved");
    expect(byId.get(e.id)?.status).toBe("closed");
  });

  it("searches q in the subject, the contact's name and phone digits, and message text", async () => {
    const w = await world();
    const { tenant, a, b, c, d, e } = w;
    const ids = (q: string) => listIds(tenant.token, `q=${encodeURIComponent(q)}`);
    expect(await ids("cancelamento")).toEqual([c.id]);
    expect(await ids("REEMBOLSO")).toEqual([d.id]);
    // The contact's name: both of Alice's tickets, and Bruno's one.
    expect(await ids(w.alice.toLowerCase())).toEqual([d.id, a.id]);
    expect(await ids(w.bruno.toUpperCase())).toEqual([b.id]);
    // Phone digits.
    expect(await ids("900000003")).toEqual([c.id]);
    expect(await ids("90000000")).toEqual([e.id, d.id, c.id, b.id, a.id]);
    // Message text (A got the only message).
    expect(await ids(w.word)).toEqual([a.id]);
    expect(await ids("segunda via")).toEqual([a.id]);
    // LIKE wildcards are literal: "0%" is in B's subject only (E's "10x" would match an unescaped %).
    expect(await ids("0%")).toEqual([b.id]);
    expect(await ids("_0x")).toEqual([]);
    expect(await ids(unique("nada"))).toEqual([]);
    // Combined with a filter.
    expect(await listIds(tenant.token, `q=${encodeURIComponent(w.alice)}&status=resolved`)).toEqual([d.id]);
  });

  it("rejects invalid filters with 400", async () => {
    const tenant = await createTenant();
    for (const query of [
      "status=bogus",
      "status=open,bogus",
      "queueId=not-a-uuid",
      "assigneeId=somebody",
      "channelId=1",
      "contactId=x",
      "contactPhone=abc",
      "limit=0",
      "limit=101",
      "cursor=not-a-cursor",
    ]) {
      const res = await call(`/api/tickets?${query}`, { token: tenant.token });
      expect(res.status, `${query}: ${res.text}`).toBe(400);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
    }
  });

  it("pages with a keyset cursor: no ticket twice, none skipped, filters kept", async () => {
    const tenant = await createTenant();
    const { channel } = await metaChannel(tenant);
    const created: Ticket[] = [];
    for (let i = 1; i <= 7; i++) {
      created.push(await openTicket(tenant.token, { channelId: channel.id, phone: `+55119000010${i}` }));
    }
    // Two of them pending, so a filtered walk has a shape of its own.
    for (const t of [created[1], created[4]]) {
      if (!t) throw new Error("missing ticket");
      const res = await call(`/api/tickets/${t.id}`, {
        method: "PATCH",
        token: tenant.token,
        json: { status: "pending" },
      });
      expect(res.status, res.text).toBe(200);
    }
    const newestFirst = created.map((t) => t.id).reverse();

    async function walk(query: string, limit: number) {
      const pages: string[][] = [];
      let cursor: string | null = null;
      do {
        const path: string = `/api/tickets?limit=${limit}${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
        const res = await call(path, { token: tenant.token });
        expect(res.status, res.text).toBe(200);
        pages.push(res.body.data.map((t: Ticket) => t.id));
        cursor = res.body.nextCursor;
        expect(pages.length).toBeLessThan(10);
      } while (cursor);
      return pages;
    }

    const pages = await walk("", 3);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat()).toEqual(newestFirst);
    // An exact multiple of the page size ends without an empty extra page.
    const sevens = await walk("", 7);
    expect(sevens).toEqual([newestFirst]);
    const open = await walk("&status=open", 2);
    expect(open.flat()).toEqual(newestFirst.filter((id) => id !== created[1]?.id && id !== created[4]?.id));
    expect(open.map((p) => p.length)).toEqual([2, 2, 1]);
    const pending = await walk("&status=pending", 1);
    expect(pending).toEqual([[created[4]?.id], [created[1]?.id]]);
  });
});

describe("GET /api/tickets/{id}", () => {
  it("returns the last 20 messages in chronological order and the history with before/after", async () => {
    const tenant = await createTenant();
    const agent = await member(tenant, "agent");
    const { channel, inbound } = await metaChannel(tenant);
    const texts = Array.from({ length: 22 }, (_, i) => `mensagem ${String(i + 1).padStart(2, "0")}`);
    await inbound("5511900000201", texts.slice(0, 1));
    await inbound("5511900000201", texts.slice(1));
    const [ticket] = await ticketsOfChannel(tenant.token, channel.id);
    if (!ticket) throw new Error("no ticket");
    expect(ticket.unreadCount).toBe(22);

    const assigned = await act(tenant.token, ticket.id, "assign", { assigneeId: agent.id });
    expect(assigned.status, assigned.text).toBe(200);
    const resolved = await act(tenant.token, ticket.id, "resolve");
    expect(resolved.status, resolved.text).toBe(200);

    const res = await call(`/api/tickets/${ticket.id}`, { token: tenant.token });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      id: ticket.id,
      number: 1,
      status: "resolved",
      assigneeId: agent.id,
      contact: { phone: "+5511900000201", name: "Maria Cliente" },
      resolvedAt: resolved.body.resolvedAt,
    });
    expect(res.body.lastMessages.map((m: { text: string }) => m.text)).toEqual(texts.slice(2));
    expect(res.body.lastMessages[0]).toMatchObject({ direction: "inbound", type: "text", status: "received" });

    const history = res.body.history as {
      action: string;
      actorType: string;
      actorId: string | null;
      changes: object;
    }[];
    expect(history.map((h) => h.action)).toEqual(["created", "assigned", "resolved"]);
    expect(history[0]).toMatchObject({ actorType: "contact", actorId: ticket.contact.id, changes: {} });
    expect(history[1]).toMatchObject({
      actorType: "user",
      actorId: tenant.userId,
      changes: { assigneeId: { before: null, after: agent.id } },
    });
    expect(history[2]).toEqual(
      expect.objectContaining({
        actorType: "user",
        actorId: tenant.userId,
        changes: {
          status: { before: "open", after: "resolved" },
          resolvedAt: { before: null, after: resolved.body.resolvedAt },
        },
      }),
    );

    // The message list pages through all 22, oldest first when asked.
    const asc = await call(`/api/tickets/${ticket.id}/messages?order=asc&limit=15`, { token: tenant.token });
    expect(asc.body.data.map((m: { text: string }) => m.text)).toEqual(texts.slice(0, 15));
    const rest = await call(`/api/tickets/${ticket.id}/messages?order=asc&limit=15&cursor=${asc.body.nextCursor}`, {
      token: tenant.token,
    });
    expect(rest.body.data.map((m: { text: string }) => m.text)).toEqual(texts.slice(15));
    expect(rest.body.nextCursor).toBeNull();
  });

  it("answers 404 for an unknown id and 400 for a malformed one", async () => {
    const tenant = await createTenant();
    const missing = await call(`/api/tickets/${crypto.randomUUID()}`, { token: tenant.token });
    expect(missing.status, missing.text).toBe(404);
    expect(missing.body.code).toBe("NOT_FOUND");
    expect((await call("/api/tickets/12345", { token: tenant.token })).status).toBe(400);
  });
});

describe("POST /api/tickets", () => {
  it("opens a ticket for an existing contact, with the channel's queue and its SLA", async () => {
    const tenant = await createTenant();
    const queueId = await createQueue(tenant, { slaFirstResponseMinutes: 30, slaResolutionMinutes: 600 });
    const { channel } = await metaChannel(tenant, { queueId });
    const contact = await call("/api/contacts", {
      token: tenant.token,
      json: { phone: "+5511900000301", name: "Dora" },
    });
    expect(contact.status, contact.text).toBe(201);
    const res = await call("/api/tickets", {
      token: tenant.token,
      json: { channelId: channel.id, contactId: contact.body.id, subject: "Proposta", priority: "high" },
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({
      number: 1,
      status: "open",
      priority: "high",
      subject: "Proposta",
      channelId: channel.id,
      queueId,
      assigneeId: null,
      contact: { id: contact.body.id, phone: "+5511900000301", name: "Dora" },
      tags: [],
      unreadCount: 0,
    });
    const created = Date.parse(res.body.createdAt);
    expect(Date.parse(res.body.firstResponseDueAt) - created).toBeCloseTo(30 * 60_000, -4);
    expect(Date.parse(res.body.resolutionDueAt) - created).toBeCloseTo(600 * 60_000, -4);
    const detail = await call(`/api/tickets/${res.body.id}`, { token: tenant.token });
    expect(detail.body.history).toEqual([
      expect.objectContaining({ action: "created", actorType: "user", actorId: tenant.userId }),
    ]);
    // An explicit queue wins over the channel's.
    const other = await createQueue(tenant);
    const second = await openTicket(tenant.token, { channelId: channel.id, phone: "(11) 90000-0302", queueId: other });
    expect(second).toMatchObject({ number: 2, queueId: other, firstResponseDueAt: null, resolutionDueAt: null });
  });

  it("creates the contact from a phone in any format, normalized to E.164, and reuses it", async () => {
    const tenant = await createTenant();
    const { channel, inbound } = await metaChannel(tenant);
    const name = unique("Eva");
    const ticket = await openTicket(tenant.token, { channelId: channel.id, phone: "(11) 91234-5678", name });
    expect(ticket.contact).toMatchObject({ phone: "+5511912345678", name });
    // The same person writing in lands on the same contact and the same (active) ticket.
    await inbound("5511912345678", "oi, sou eu");
    expect((await ticketsOfChannel(tenant.token, channel.id)).map((t) => t.id)).toEqual([ticket.id]);
    // Another format of the same number on a second channel reuses the contact.
    const other = await metaChannel(tenant);
    const again = await openTicket(tenant.token, { channelId: other.channel.id, phone: "+55 11 91234-5678" });
    expect(again.contact.id).toBe(ticket.contact.id);
    const contacts = await call("/api/contacts?limit=100&reveal=true", { token: tenant.token });
    expect(contacts.body.data.map((c: { phone: string }) => c.phone)).toEqual(["+5511912345678"]);
  });

  it("refuses a second active ticket for the same contact and channel (409)", async () => {
    const tenant = await createTenant();
    const { channel, inbound } = await metaChannel(tenant);
    await inbound("5511900000401", "primeiro contato");
    const [existing] = await ticketsOfChannel(tenant.token, channel.id);
    if (!existing) throw new Error("no ticket");
    const byPhone = await call("/api/tickets", {
      token: tenant.token,
      json: { channelId: channel.id, phone: "+5511900000401" },
    });
    expect(byPhone.status, byPhone.text).toBe(409);
    expect(byPhone.body.code).toBe("CONFLICT");
    const byContact = await call("/api/tickets", {
      token: tenant.token,
      json: { channelId: channel.id, contactId: existing.contact.id },
    });
    expect(byContact.status, byContact.text).toBe(409);
    // Pending is active too.
    await call(`/api/tickets/${existing.id}`, { method: "PATCH", token: tenant.token, json: { status: "pending" } });
    const pending = await call("/api/tickets", {
      token: tenant.token,
      json: { channelId: channel.id, contactId: existing.contact.id },
    });
    expect(pending.status, pending.text).toBe(409);
    expect(await ticketsOfChannel(tenant.token, channel.id)).toHaveLength(1);
    // Once resolved, a new conversation can be opened.
    expect((await act(tenant.token, existing.id, "resolve")).status).toBe(200);
    const fresh = await openTicket(tenant.token, { channelId: channel.id, contactId: existing.contact.id });
    expect(fresh.id).not.toBe(existing.id);
    expect(fresh.status).toBe("open");
  });

  it("answers 404 for a channel or contact of another organization, 400 for bad input", async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const { channel } = await metaChannel(tenant);
    const foreign = await metaChannel(other);
    const foreignContact = await call("/api/contacts", { token: other.token, json: { phone: "+5511900000501" } });
    expect(foreignContact.status).toBe(201);

    const foreignChannel = await call("/api/tickets", {
      token: tenant.token,
      json: { channelId: foreign.channel.id, phone: "+5511900000502" },
    });
    expect(foreignChannel.status, foreignChannel.text).toBe(404);
    const unknownChannel = await call("/api/tickets", {
      token: tenant.token,
      json: { channelId: crypto.randomUUID(), phone: "+5511900000502" },
    });
    expect(unknownChannel.status, unknownChannel.text).toBe(404);
    const contact = await call("/api/tickets", {
      token: tenant.token,
      json: { channelId: channel.id, contactId: foreignContact.body.id },
    });
    expect(contact.status, contact.text).toBe(404);

    for (const json of [
      { channelId: channel.id },
      { channelId: channel.id, phone: "not a phone" },
      { channelId: "x", phone: "+5511900000502" },
      { channelId: channel.id, phone: "+5511900000502", priority: "critical" },
    ]) {
      const res = await call("/api/tickets", { token: tenant.token, json });
      expect(res.status, `${JSON.stringify(json)}: ${res.text}`).toBe(400);
    }
    // Nothing was created by any refusal.
    expect(await listIds(tenant.token, "")).toEqual([]);
  });

  it("answers 404 for an unknown queue id instead of failing with 500", async () => {
    const tenant = await createTenant();
    const { channel } = await metaChannel(tenant);
    const unknownQueue = await call("/api/tickets", {
      token: tenant.token,
      json: { channelId: channel.id, phone: "+5511900000503", queueId: crypto.randomUUID() },
    });
    expect(unknownQueue.status, unknownQueue.text).toBe(404);
    expect(unknownQueue.body.code).toBe("NOT_FOUND");
  });

  it("answers 404 for a queue id of another organization and never files a ticket under it", async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const { channel } = await metaChannel(tenant);
    const foreignQueue = await createQueue(other, { slaFirstResponseMinutes: 5 });
    const queue = await call("/api/tickets", {
      token: tenant.token,
      json: { channelId: channel.id, phone: "+5511900000504", queueId: foreignQueue },
    });
    expect(queue.status, queue.text).toBe(404);
    const leaked = await withDb((db) => db.select().from(tickets).where(eq(tickets.queueId, foreignQueue)));
    expect(leaked, "a ticket of one organization must never point at another's queue").toEqual([]);
  });
});

describe("PATCH /api/tickets/{id}", () => {
  it("creates tags on the fly and replaces the set, recording the change", async () => {
    const tenant = await createTenant();
    const { channel } = await metaChannel(tenant);
    const ticket = await openTicket(tenant.token, { channelId: channel.id, phone: "+5511900000601" });
    const patch = (json: unknown) => call(`/api/tickets/${ticket.id}`, { method: "PATCH", token: tenant.token, json });

    const first = await patch({ tags: ["vip", " atraso ", "boleto"] });
    expect(first.status, first.text).toBe(200);
    expect(first.body.tags).toEqual(["atraso", "boleto", "vip"]);
    const tags = await call("/api/tags?limit=100", { token: tenant.token });
    expect(tags.body.data.map((t: { name: string }) => t.name).sort()).toEqual(["atraso", "boleto", "vip"]);

    // Replaced, not merged; an existing tag is reused whatever the case.
    const second = await patch({ tags: ["VIP", "reclamacao"] });
    expect(second.status, second.text).toBe(200);
    expect(second.body.tags).toEqual(["reclamacao", "vip"]);
    const after = await call("/api/tags?limit=100", { token: tenant.token });
    expect(after.body.data.map((t: { name: string }) => t.name).sort()).toEqual([
      "atraso",
      "boleto",
      "reclamacao",
      "vip",
    ]);
    expect((await call(`/api/tickets/${ticket.id}`, { token: tenant.token })).body.tags).toEqual(["reclamacao", "vip"]);

    const cleared = await patch({ tags: [] });
    expect(cleared.body.tags).toEqual([]);

    const detail = await call(`/api/tickets/${ticket.id}`, { token: tenant.token });
    const changes = detail.body.history
      .filter((h: { action: string }) => h.action === "tags_changed")
      .map((h: { changes: { tags: unknown } }) => h.changes.tags);
    expect(changes[0]).toEqual({ before: [], after: ["atraso", "boleto", "vip"] });
    expect(changes.at(-1)).toEqual({ before: ["reclamacao", "vip"], after: [] });
  });

  it("accepts the same tag twice in different case as one tag", async () => {
    const tenant = await createTenant();
    const { channel } = await metaChannel(tenant);
    const ticket = await openTicket(tenant.token, { channelId: channel.id, phone: "+5511900000602" });
    const res = await call(`/api/tickets/${ticket.id}`, {
      method: "PATCH",
      token: tenant.token,
      json: { tags: ["Urgente", "urgente"] },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.tags).toEqual(["Urgente"]);
  });

  it("changes priority and subject, moves between open and pending, with history", async () => {
    const tenant = await createTenant();
    const { channel } = await metaChannel(tenant);
    const ticket = await openTicket(tenant.token, { channelId: channel.id, phone: "+5511900000603", subject: "a" });
    const patch = (json: unknown) => call(`/api/tickets/${ticket.id}`, { method: "PATCH", token: tenant.token, json });

    const edited = await patch({ priority: "urgent", subject: "Troca de aparelho" });
    expect(edited.status, edited.text).toBe(200);
    expect(edited.body).toMatchObject({ priority: "urgent", subject: "Troca de aparelho", status: "open" });
    const pending = await patch({ status: "pending" });
    expect(pending.status, pending.text).toBe(200);
    expect(pending.body.status).toBe("pending");
    const open = await patch({ status: "open", subject: null });
    expect(open.status, open.text).toBe(200);
    expect(open.body).toMatchObject({ status: "open", subject: null });

    const detail = await call(`/api/tickets/${ticket.id}`, { token: tenant.token });
    const updates = detail.body.history.filter((h: { action: string }) => h.action === "updated");
    expect(updates.map((h: { changes: unknown }) => h.changes)).toEqual([
      { priority: { before: "normal", after: "urgent" }, subject: { before: "a", after: "Troca de aparelho" } },
      { status: { before: "open", after: "pending" } },
      { status: { before: "pending", after: "open" }, subject: { before: "Troca de aparelho", after: null } },
    ]);

    for (const json of [{}, { status: "resolved" }, { status: "closed" }, { priority: "whenever" }, { tags: [""] }]) {
      const bad = await patch(json);
      expect(bad.status, `${JSON.stringify(json)}: ${bad.text}`).toBe(400);
    }
  });

  it("refuses a status change on a resolved or closed ticket (409) but still takes other edits", async () => {
    const tenant = await createTenant();
    const { channel } = await metaChannel(tenant);
    const ticket = await openTicket(tenant.token, { channelId: channel.id, phone: "+5511900000604" });
    expect((await act(tenant.token, ticket.id, "resolve")).status).toBe(200);
    const patch = (json: unknown) => call(`/api/tickets/${ticket.id}`, { method: "PATCH", token: tenant.token, json });

    for (const status of ["open", "pending"]) {
      const res = await patch({ status, priority: "high" });
      expect(res.status, res.text).toBe(409);
      expect(res.body.detail).toContain("reopen");
    }
    // The refused request changed nothing, not even the priority sent along.
    const detail = await call(`/api/tickets/${ticket.id}`, { token: tenant.token });
    expect(detail.body).toMatchObject({ status: "resolved", priority: "normal" });

    const tagged = await patch({ tags: ["pos-venda"], priority: "low" });
    expect(tagged.status, tagged.text).toBe(200);
    expect(tagged.body).toMatchObject({ status: "resolved", priority: "low", tags: ["pos-venda"] });

    expect((await act(tenant.token, ticket.id, "close")).status).toBe(200);
    expect((await patch({ status: "open" })).status).toBe(409);
    expect(
      (
        await call(`/api/tickets/${crypto.randomUUID()}`, {
          method: "PATCH",
          token: tenant.token,
          json: { priority: "low" },
        })
      ).status,
    ).toBe(404);
  });
});

describe("ticket actions", () => {
  async function setup() {
    const tenant = await createTenant();
    const agent = await member(tenant, "agent");
    const colleague = await member(tenant, "agent");
    const supervisor = await member(tenant, "supervisor");
    const { channel } = await metaChannel(tenant);
    let n = 0;
    const ticket = () =>
      openTicket(tenant.token, { channelId: channel.id, phone: `+55119000007${String(++n).padStart(2, "0")}` });
    return { tenant, agent, colleague, supervisor, channel, ticket };
  }

  it("assign: admins and supervisors assign anyone; agents only themselves (403 otherwise)", async () => {
    const { tenant, agent, colleague, supervisor, ticket } = await setup();
    const t = await ticket();

    const byAdmin = await act(tenant.token, t.id, "assign", { assigneeId: agent.id });
    expect(byAdmin.status, byAdmin.text).toBe(200);
    expect(byAdmin.body.assigneeId).toBe(agent.id);
    const bySupervisor = await act(supervisor.token, t.id, "assign", { assigneeId: colleague.id });
    expect(bySupervisor.status, bySupervisor.text).toBe(200);
    expect(bySupervisor.body.assigneeId).toBe(colleague.id);
    // A supervisor works tickets too.
    const toSupervisor = await act(tenant.token, t.id, "assign", { assigneeId: supervisor.id });
    expect(toSupervisor.body.assigneeId).toBe(supervisor.id);

    const toOther = await act(agent.token, t.id, "assign", { assigneeId: colleague.id });
    expect(toOther.status, toOther.text).toBe(403);
    expect(toOther.body.code).toBe("FORBIDDEN");
    const unassign = await act(agent.token, t.id, "assign", { assigneeId: null });
    expect(unassign.status, unassign.text).toBe(403);
    const self = await act(agent.token, t.id, "assign", { assigneeId: agent.id });
    expect(self.status, self.text).toBe(200);
    expect(self.body.assigneeId).toBe(agent.id);

    const none = await act(tenant.token, t.id, "assign", { assigneeId: null });
    expect(none.status, none.text).toBe(200);
    expect(none.body.assigneeId).toBeNull();

    const detail = await call(`/api/tickets/${t.id}`, { token: tenant.token });
    const assigned = detail.body.history.filter((h: { action: string }) => h.action === "assigned");
    expect(assigned.map((h: { actorId: string; changes: unknown }) => [h.actorId, h.changes])).toEqual([
      [tenant.userId, { assigneeId: { before: null, after: agent.id } }],
      [supervisor.id, { assigneeId: { before: agent.id, after: colleague.id } }],
      [tenant.userId, { assigneeId: { before: colleague.id, after: supervisor.id } }],
      [agent.id, { assigneeId: { before: supervisor.id, after: agent.id } }],
      [tenant.userId, { assigneeId: { before: agent.id, after: null } }],
    ]);
  });

  it("assign: 404 for an unknown ticket, a user who is no agent, a deactivated or foreign agent", async () => {
    const { tenant, agent, ticket } = await setup();
    const t = await ticket();
    const other = await createTenant();
    const foreignAgent = await member(other, "agent");
    const admin = await member(tenant, "admin");
    const gone = await member(tenant, "agent");
    expect((await call(`/api/users/${gone.id}`, { method: "DELETE", token: tenant.token })).status).toBe(204);

    expect((await act(tenant.token, crypto.randomUUID(), "assign", { assigneeId: agent.id })).status).toBe(404);
    for (const assigneeId of [crypto.randomUUID(), admin.id, tenant.userId, gone.id, foreignAgent.id]) {
      const res = await act(tenant.token, t.id, "assign", { assigneeId });
      expect(res.status, `${assigneeId}: ${res.text}`).toBe(404);
    }
    expect((await act(tenant.token, t.id, "assign", { assigneeId: "nobody" })).status).toBe(400);
    expect((await act(tenant.token, t.id, "assign", {})).status).toBe(400);
    expect((await call(`/api/tickets/${t.id}`, { token: tenant.token })).body.assigneeId).toBeNull();
  });

  it("transfer: moves to a queue of the organization, unassigned unless an agent is named", async () => {
    const { tenant, agent, colleague, ticket } = await setup();
    const t = await ticket();
    const billing = await createQueue(tenant);
    const support = await createQueue(tenant);
    expect((await act(tenant.token, t.id, "assign", { assigneeId: agent.id })).status).toBe(200);

    const moved = await act(tenant.token, t.id, "transfer", { queueId: billing });
    expect(moved.status, moved.text).toBe(200);
    expect(moved.body).toMatchObject({ queueId: billing, assigneeId: null });
    const withAgent = await act(tenant.token, t.id, "transfer", { queueId: support, assigneeId: colleague.id });
    expect(withAgent.status, withAgent.text).toBe(200);
    expect(withAgent.body).toMatchObject({ queueId: support, assigneeId: colleague.id });

    const foreignQueue = await createQueue(await createTenant());
    for (const queueId of [crypto.randomUUID(), foreignQueue]) {
      const res = await act(tenant.token, t.id, "transfer", { queueId });
      expect(res.status, res.text).toBe(404);
    }
    const unknownAgent = await act(tenant.token, t.id, "transfer", {
      queueId: billing,
      assigneeId: crypto.randomUUID(),
    });
    expect(unknownAgent.status, unknownAgent.text).toBe(404);
    expect((await act(tenant.token, t.id, "transfer", {})).status).toBe(400);
    expect((await act(tenant.token, crypto.randomUUID(), "transfer", { queueId: billing })).status).toBe(404);

    const detail = await call(`/api/tickets/${t.id}`, { token: tenant.token });
    expect(detail.body).toMatchObject({ queueId: support, assigneeId: colleague.id });
    const transfers = detail.body.history.filter((h: { action: string }) => h.action === "transferred");
    expect(transfers.map((h: { changes: unknown }) => h.changes)).toEqual([
      { queueId: { before: null, after: billing }, assigneeId: { before: agent.id, after: null } },
      { queueId: { before: billing, after: support }, assigneeId: { before: null, after: colleague.id } },
    ]);
  });

  it("transfer: an agent may move a ticket but not hand it to a colleague (403, as with assign)", async () => {
    const { tenant, agent, colleague, ticket } = await setup();
    const t = await ticket();
    const queueId = await createQueue(tenant);
    const handOver = await act(agent.token, t.id, "transfer", { queueId, assigneeId: colleague.id });
    expect(handOver.status, handOver.text).toBe(403);
    expect((await call(`/api/tickets/${t.id}`, { token: tenant.token })).body).toMatchObject({
      queueId: null,
      assigneeId: null,
    });
    const toSelf = await act(agent.token, t.id, "transfer", { queueId, assigneeId: agent.id });
    expect(toSelf.status, toSelf.text).toBe(200);
    expect(toSelf.body).toMatchObject({ queueId, assigneeId: agent.id });
    const plain = await act(agent.token, t.id, "transfer", { queueId: await createQueue(tenant) });
    expect(plain.status, plain.text).toBe(200);
    expect(plain.body.assigneeId).toBeNull();
  });

  it("resolve, close and reopen follow the status rules (409 otherwise)", async () => {
    const { tenant, agent, ticket } = await setup();

    // open → resolved → 409 on a second resolve → closed → 409 on a second close.
    const t = await ticket();
    const resolved = await act(agent.token, t.id, "resolve");
    expect(resolved.status, resolved.text).toBe(200);
    expect(resolved.body.status).toBe("resolved");
    expect(Math.abs(Date.parse(resolved.body.resolvedAt) - Date.now())).toBeLessThan(60_000);
    const again = await act(tenant.token, t.id, "resolve");
    expect(again.status, again.text).toBe(409);
    expect(again.body.code).toBe("CONFLICT");
    const closed = await act(tenant.token, t.id, "close");
    expect(closed.status, closed.text).toBe(200);
    expect(closed.body).toMatchObject({ status: "closed", resolvedAt: resolved.body.resolvedAt });
    expect(closed.body.closedAt).not.toBeNull();
    expect((await act(tenant.token, t.id, "close")).status).toBe(409);
    expect((await act(tenant.token, t.id, "resolve")).status).toBe(409);

    // closed → reopened; open → 409 on reopen.
    const reopened = await act(tenant.token, t.id, "reopen");
    expect(reopened.status, reopened.text).toBe(200);
    expect(reopened.body).toMatchObject({ status: "open", resolvedAt: null, closedAt: null });
    expect((await act(tenant.token, t.id, "reopen")).status).toBe(409);

    // pending → resolved → reopened; pending → 409 on reopen.
    const p = await ticket();
    await call(`/api/tickets/${p.id}`, { method: "PATCH", token: tenant.token, json: { status: "pending" } });
    expect((await act(tenant.token, p.id, "reopen")).status).toBe(409);
    expect((await act(tenant.token, p.id, "resolve")).body.status).toBe("resolved");
    const back = await act(tenant.token, p.id, "reopen");
    expect(back.status, back.text).toBe(200);
    expect(back.body).toMatchObject({ status: "open", resolvedAt: null });

    // Straight from open to closed: resolvedAt is stamped too.
    const c = await ticket();
    const shut = await act(tenant.token, c.id, "close");
    expect(shut.status, shut.text).toBe(200);
    expect(shut.body.closedAt).not.toBeNull();
    expect(Math.abs(Date.parse(shut.body.resolvedAt) - Date.parse(shut.body.closedAt))).toBeLessThan(1000);

    for (const action of ["resolve", "close", "reopen", "read"]) {
      const res = await act(tenant.token, crypto.randomUUID(), action);
      expect(res.status, `${action}: ${res.text}`).toBe(404);
      expect((await act(tenant.token, "not-an-id", action)).status).toBe(400);
    }

    const detail = await call(`/api/tickets/${t.id}`, { token: tenant.token });
    expect(detail.body.history.map((h: { action: string }) => h.action)).toEqual([
      "created",
      "resolved",
      "closed",
      "reopened",
    ]);
    expect(detail.body.history[2].changes).toMatchObject({
      status: { before: "resolved", after: "closed" },
      closedAt: { before: null, after: closed.body.closedAt },
    });
    expect(detail.body.history[3].changes).toEqual({
      status: { before: "closed", after: "open" },
      resolvedAt: { before: resolved.body.resolvedAt, after: null },
      closedAt: { before: closed.body.closedAt, after: null },
    });
  });

  it("reopen answers 409 when the contact already has another active ticket on the channel", async () => {
    const { tenant, channel } = await setup();
    const first = await openTicket(tenant.token, { channelId: channel.id, phone: "+5511900000799" });
    expect((await act(tenant.token, first.id, "close")).status).toBe(200);
    const second = await openTicket(tenant.token, { channelId: channel.id, contactId: first.contact.id });
    const res = await act(tenant.token, first.id, "reopen");
    expect(res.status, res.text).toBe(409);
    expect((await call(`/api/tickets/${first.id}`, { token: tenant.token })).body.status).toBe("closed");
    expect((await call(`/api/tickets/${second.id}`, { token: tenant.token })).body.status).toBe("open");
  });

  it("read sets the unread count to zero; new inbound messages count again", async () => {
    const tenant = await createTenant();
    const agent = await member(tenant, "agent");
    const { channel, inbound } = await metaChannel(tenant);
    await inbound("5511900000801", ["um", "dois", "três"]);
    const [ticket] = await ticketsOfChannel(tenant.token, channel.id);
    if (!ticket) throw new Error("no ticket");
    expect(ticket.unreadCount).toBe(3);
    const read = await act(agent.token, ticket.id, "read");
    expect(read.status, read.text).toBe(200);
    expect(read.body.unreadCount).toBe(0);
    expect((await call(`/api/tickets/${ticket.id}`, { token: tenant.token })).body.unreadCount).toBe(0);
    // Reading is bookkeeping, not a change anyone needs in the history.
    const detail = await call(`/api/tickets/${ticket.id}`, { token: tenant.token });
    expect(detail.body.history.map((h: { action: string }) => h.action)).toEqual(["created"]);
    await inbound("5511900000801", "quatro");
    expect((await call(`/api/tickets/${ticket.id}`, { token: tenant.token })).body.unreadCount).toBe(1);
  });
});

describe("reopen window of resolved tickets", () => {
  async function resolvedConversation(settings?: Record<string, unknown>) {
    const tenant = await createTenant();
    const { channel, inbound } = await metaChannel(tenant, { settings });
    const from = "5511900000901";
    await inbound(from, "primeira conversa");
    const [ticket] = await ticketsOfChannel(tenant.token, channel.id);
    if (!ticket) throw new Error("no ticket");
    return { tenant, channel, inbound: (text: string) => inbound(from, text), ticket };
  }

  const resolveHoursAgo = async (token: string, id: string, hours: number) => {
    const res = await act(token, id, "resolve");
    expect(res.status, res.text).toBe(200);
    await setTicket(id, { resolvedAt: new Date(Date.now() - hours * 3600_000) });
  };

  it("reopens the same ticket for a message within 24 hours of resolution", async () => {
    const { tenant, channel, inbound, ticket } = await resolvedConversation();
    await resolveHoursAgo(tenant.token, ticket.id, 1);
    await inbound("voltei com outra dúvida");
    const all = await ticketsOfChannel(tenant.token, channel.id);
    expect(all.map((t) => t.id)).toEqual([ticket.id]);
    expect(all[0]).toMatchObject({ number: ticket.number, status: "open", resolvedAt: null, unreadCount: 2 });
    const detail = await call(`/api/tickets/${ticket.id}`, { token: tenant.token });
    expect(detail.body.lastMessages.map((m: { text: string }) => m.text)).toEqual([
      "primeira conversa",
      "voltei com outra dúvida",
    ]);
    expect(detail.body.history.at(-1)).toMatchObject({
      action: "reopened",
      actorType: "contact",
      actorId: ticket.contact.id,
      changes: { status: { before: "resolved", after: "open" } },
    });
  });

  it("opens a new ticket with the next number for a message 30 hours after resolution", async () => {
    const { tenant, channel, inbound, ticket } = await resolvedConversation();
    await resolveHoursAgo(tenant.token, ticket.id, 30);
    await inbound("bom dia, outro assunto");
    const all = await ticketsOfChannel(tenant.token, channel.id);
    expect(all).toHaveLength(2);
    const [fresh, old] = all;
    expect(old).toMatchObject({ id: ticket.id, status: "resolved" });
    expect(fresh).toMatchObject({ number: ticket.number + 1, status: "open", unreadCount: 1 });
    expect(fresh?.contact.id).toBe(ticket.contact.id);
    const messages = await call(`/api/tickets/${fresh?.id}/messages`, { token: tenant.token });
    expect(messages.body.data.map((m: { text: string }) => m.text)).toEqual(["bom dia, outro assunto"]);
  });

  it("never reopens a closed ticket, even a minute after closing", async () => {
    const { tenant, channel, inbound, ticket } = await resolvedConversation();
    expect((await act(tenant.token, ticket.id, "close")).status).toBe(200);
    await inbound("ainda estou aqui");
    const all = await ticketsOfChannel(tenant.token, channel.id);
    expect(all.map((t) => [t.number, t.status])).toEqual([
      [ticket.number + 1, "open"],
      [ticket.number, "closed"],
    ]);
  });

  it("follows the channel's reopenWindowHours setting (48 h reopens at 30 h; 0 never reopens)", async () => {
    const wide = await resolvedConversation({ reopenWindowHours: 48 });
    await resolveHoursAgo(wide.tenant.token, wide.ticket.id, 30);
    await wide.inbound("de volta");
    expect((await ticketsOfChannel(wide.tenant.token, wide.channel.id)).map((t) => [t.id, t.status])).toEqual([
      [wide.ticket.id, "open"],
    ]);
    await resolveHoursAgo(wide.tenant.token, wide.ticket.id, 49);
    await wide.inbound("de volta de novo");
    expect((await ticketsOfChannel(wide.tenant.token, wide.channel.id)).map((t) => t.status)).toEqual([
      "open",
      "resolved",
    ]);

    const never = await resolvedConversation({ reopenWindowHours: 0 });
    const res = await act(never.tenant.token, never.ticket.id, "resolve");
    expect(res.status).toBe(200);
    await never.inbound("logo depois");
    expect((await ticketsOfChannel(never.tenant.token, never.channel.id)).map((t) => [t.number, t.status])).toEqual([
      [never.ticket.number + 1, "open"],
      [never.ticket.number, "resolved"],
    ]);
  });
});

/** Medians are documented as within 1% of the exact one (within a second below a minute, after rounding). */
function expectMedian(actual: unknown, exact: number) {
  expect(typeof actual, String(actual)).toBe("number");
  expect(Math.abs((actual as number) - exact), `${actual} against ${exact}`).toBeLessThanOrEqual(
    Math.max(1, exact * 0.01),
  );
}

describe("GET /api/tickets/stats", () => {
  it("counts by status, queue and agent, and computes medians and SLA compliance", async () => {
    const tenant = await createTenant();
    const queueId = await createQueue(tenant);
    const a1 = await member(tenant, "agent");
    const a2 = await member(tenant, "agent");
    const supervisor = await member(tenant, "supervisor");
    const { channel } = await metaChannel(tenant);
    const t: Ticket[] = [];
    for (let i = 1; i <= 6; i++) {
      t.push(
        await openTicket(tenant.token, { channelId: channel.id, phone: `+55119000010${String(i).padStart(2, "0")}` }),
      );
    }
    const [t1, t2, t3, t4, t5, t6] = t.map((x) => x.id) as [string, string, string, string, string, string];
    const base = new Date(Date.now() - 2 * 86400_000);
    base.setUTCMilliseconds(0);
    const at = (seconds: number) => new Date(base.getTime() + seconds * 1000);
    const queued = { createdAt: base, queueId, firstResponseDueAt: at(600), resolutionDueAt: at(3600) };
    // T1: answered in 60 s (met), resolved in 1800 s (met).
    await setTicket(t1, {
      ...queued,
      assigneeId: a1.id,
      status: "resolved",
      firstResponseAt: at(60),
      resolvedAt: at(1800),
    });
    // T2: answered in 120 s (met), resolved in 7200 s (breached).
    await setTicket(t2, {
      ...queued,
      assigneeId: a1.id,
      status: "resolved",
      firstResponseAt: at(120),
      resolvedAt: at(7200),
    });
    // T3: answered in 900 s (breached), closed after resolution in 4000 s (breached).
    await setTicket(t3, {
      ...queued,
      assigneeId: a2.id,
      status: "closed",
      firstResponseAt: at(900),
      resolvedAt: at(4000),
      closedAt: at(5000),
    });
    // T4: still open, never answered, both due times long past (both breached).
    await setTicket(t4, { ...queued, assigneeId: a2.id, status: "open" });
    // T5: pending, no queue and no SLA, answered in 300 s.
    await setTicket(t5, { createdAt: base, status: "pending", firstResponseAt: at(300) });
    // T6: 40 days old, outside the default 30-day window.
    const old = new Date(Date.now() - 40 * 86400_000);
    old.setUTCMilliseconds(0);
    await setTicket(t6, {
      createdAt: old,
      status: "resolved",
      assigneeId: a1.id,
      firstResponseAt: new Date(old.getTime() + 50_000),
      resolvedAt: new Date(old.getTime() + 500_000),
    });

    const res = await call("/api/tickets/stats", { token: supervisor.token });
    expect(res.status, res.text).toBe(200);
    expect(Date.parse(res.body.to) - Date.parse(res.body.from)).toBe(30 * 86400_000);
    expect(res.body.byStatus).toEqual({ open: 1, pending: 1, resolved: 2, closed: 1 });
    expect(res.body.byQueue).toEqual([
      { queueId: null, open: 0, pending: 1, resolved: 0, closed: 0 },
      { queueId, open: 1, pending: 0, resolved: 2, closed: 1 },
    ]);
    const byAgent = [
      { agentId: a1.id, open: 0, pending: 0, resolved: 2 },
      { agentId: a2.id, open: 1, pending: 0, resolved: 0 },
    ].sort((x, y) => (x.agentId < y.agentId ? -1 : 1));
    expect(res.body.byAgent).toEqual(byAgent);
    // First responses 60, 120, 300, 900 → 210; resolutions 1800, 4000, 7200 → 4000 (within 1%).
    expectMedian(res.body.firstResponseMedianSeconds, 210);
    expectMedian(res.body.resolutionMedianSeconds, 4000);
    expect(res.body.sla).toEqual({
      firstResponse: { met: 2, breached: 2, rate: 0.5 },
      resolution: { met: 1, breached: 3, rate: 0.25 },
      // No customer waited after a reply here (test/sla covers next-response compliance).
      nextResponse: { met: 0, breached: 0, rate: null },
    });

    // An explicit window: [old, base) holds only T6.
    const from = new Date(old.getTime() - 1000).toISOString();
    const window = await call(`/api/tickets/stats?from=${from}&to=${base.toISOString()}`, { token: tenant.token });
    expect(window.status, window.text).toBe(200);
    expect(window.body).toMatchObject({
      from,
      to: base.toISOString(),
      byStatus: { open: 0, pending: 0, resolved: 1, closed: 0 },
      byQueue: [{ queueId: null, open: 0, pending: 0, resolved: 1, closed: 0 }],
      byAgent: [{ agentId: a1.id, open: 0, pending: 0, resolved: 1 }],
      sla: { firstResponse: { met: 0, breached: 0, rate: null }, resolution: { met: 0, breached: 0, rate: null } },
    });
    expectMedian(window.body.firstResponseMedianSeconds, 50);
    expectMedian(window.body.resolutionMedianSeconds, 500);
    // `to` is exclusive; [base, base + 1 ms) holds T1 to T5.
    const exact = await call(
      `/api/tickets/stats?from=${base.toISOString()}&to=${new Date(base.getTime() + 1).toISOString()}`,
      { token: tenant.apiKey },
    );
    expect(exact.body.byStatus).toEqual({ open: 1, pending: 1, resolved: 2, closed: 1 });

    // An empty organization: zeros and nulls.
    const empty = await call("/api/tickets/stats", { token: (await createTenant()).token });
    expect(empty.body).toMatchObject({
      byStatus: { open: 0, pending: 0, resolved: 0, closed: 0 },
      byQueue: [],
      byAgent: [],
      firstResponseMedianSeconds: null,
      resolutionMedianSeconds: null,
      sla: { firstResponse: { met: 0, breached: 0, rate: null }, resolution: { met: 0, breached: 0, rate: null } },
    });

    const forbidden = await call("/api/tickets/stats", { token: a1.token });
    expect(forbidden.status, forbidden.text).toBe(403);
    expect((await call("/api/tickets/stats?from=yesterday", { token: tenant.token })).status).toBe(400);
  });
});
