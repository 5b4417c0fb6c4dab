// Two organizations side by side: through B's token and B's API key, nothing of A's helpdesk is
// readable, listable, changeable or deletable, and none of A's ids can be borrowed into B's
// own records. Foreign ids answer 404, never 403, so ids do not leak existence. Webhooks
// addressed to A's channel never create anything in B.
import { count, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { contacts, messages, outbox, tickets } from "@/db/schema";
import { withDb } from "../support/db";
import { createTenant, type Tenant, unique } from "../support/fixtures";
import { type CallOptions, call, type TestResponse } from "../support/http";
import { metaMessagePayload, postMeta } from "../support/meta";
import { createChannel } from "../support/provider";
import { seedMember } from "../support/seed";

async function agentOf(tenant: Tenant) {
  return (await seedMember(tenant.organizationId, "agent", { name: "Agente" })).userId;
}

// biome-ignore lint/suspicious/noExplicitAny: a JSON body read by the assertions
async function created(res: TestResponse<any>) {
  expect(res.status, res.text).toBe(201);
  return res.body.id as string;
}

/** An organization with one of everything: channel, conversation, queue, agent, template, tag, jobs. */
async function helpdesk(tenant: Tenant) {
  const phoneNumberId = unique("pn");
  const config = { phoneNumberId, accessToken: "EAAG-test", appSecret: unique("secret"), verifyToken: unique("v") };
  const queueId = await created(
    await call("/api/queues", { token: tenant.token, json: { name: unique("Fila "), slaFirstResponseMinutes: 10 } }),
  );
  const channel = await createChannel(tenant.token, { type: "whatsapp_meta", config, queueId });
  const word = unique("segredo");
  const inbound = (from: string, text: string) =>
    postMeta(
      channel.id,
      config.appSecret,
      metaMessagePayload(phoneNumberId, { type: "text", text: { body: text }, from }, unique("Cliente ")),
    );
  const first = await inbound("5511987654321", `mensagem com ${word}`);
  expect(first.status, first.text).toBe(200);
  const list = await call(`/api/tickets?channelId=${channel.id}`, { token: tenant.token });
  const ticket = list.body.data[0] as { id: string; contact: { id: string } };
  const agentId = await agentOf(tenant);
  const agentQueues = await call(`/api/agents/${agentId}`, {
    method: "PATCH",
    token: tenant.token,
    json: { queueIds: [queueId] },
  });
  expect(agentQueues.status, agentQueues.text).toBe(200);
  const templateId = await created(
    await call("/api/templates", {
      token: tenant.token,
      json: { name: unique("Saudação "), body: "Olá {{contact.name}}, ticket #{{ticket.number}}" },
    }),
  );
  const tagName = unique("tag");
  const tagId = await created(await call("/api/tags", { token: tenant.token, json: { name: tagName } }));
  const tagged = await call(`/api/tickets/${ticket.id}`, {
    method: "PATCH",
    token: tenant.token,
    json: { tags: [tagName] },
  });
  expect(tagged.status, tagged.text).toBe(200);
  const sent = await call(`/api/tickets/${ticket.id}/messages`, {
    token: tenant.token,
    json: { type: "text", text: "Olá! Como posso ajudar?" },
    headers: { "idempotency-key": "shared-key-1" },
  });
  expect(sent.status, sent.text).toBe(202);
  // One job of the organization is a dead letter, so retry has something to act on.
  const jobs = await withDb((db) => db.select().from(outbox).where(eq(outbox.organizationId, tenant.organizationId)));
  expect(jobs.length).toBeGreaterThan(0);
  const deadJob = jobs[0]?.id as string;
  await withDb((db) => db.update(outbox).set({ status: "dead" }).where(eq(outbox.id, deadJob)));
  return {
    tenant,
    config,
    phoneNumberId,
    channel,
    inbound,
    word,
    queueId,
    ticketId: ticket.id,
    contactId: ticket.contact.id,
    agentId,
    templateId,
    tagId,
    tagName,
    jobIds: jobs.map((j) => j.id),
    deadJob,
  };
}

const footprint = (organizationId: string) =>
  withDb(async (db) => {
    const n = async (table: typeof tickets | typeof contacts | typeof messages) =>
      (await db.select({ n: count() }).from(table).where(eq(table.organizationId, organizationId)))[0]?.n;
    return { tickets: await n(tickets), contacts: await n(contacts), messages: await n(messages) };
  });

// biome-ignore lint/suspicious/noExplicitAny: a JSON body read by the assertions
function expect404(res: TestResponse<any>, what: string) {
  expect(res.status, `${what}: ${res.text}`).toBe(404);
  expect(res.headers.get("content-type"), what).toBe("application/problem+json");
  expect(res.body.code, what).toBe("NOT_FOUND");
}

describe("helpdesk isolation between organizations", () => {
  it("keeps A's tickets, channels, agents, contacts, queues, templates, tags and jobs out of B's reach", async () => {
    const a = await helpdesk(await createTenant());
    const b = await helpdesk(await createTenant());
    const beforeA = await footprint(a.tenant.organizationId);

    for (const [label, credential] of [
      ["B's token", b.tenant.token],
      ["B's API key", b.tenant.apiKey],
    ] as const) {
      const as = (path: string, options: CallOptions = {}) => call(path, { ...options, token: credential });
      const ids = async (path: string) => {
        const res = await as(path);
        expect(res.status, `${label} ${path}: ${res.text}`).toBe(200);
        return res.body.data.map((r: { id?: string; userId?: string }) => r.id ?? r.userId) as string[];
      };

      // Tickets: lists and every filter naming A's ids find nothing of A's.
      const own = await ids("/api/tickets?limit=100");
      expect(own, label).toEqual([b.ticketId]);
      for (const query of [
        `channelId=${a.channel.id}`,
        `contactId=${a.contactId}`,
        `queueId=${a.queueId}`,
        `assigneeId=${a.agentId}`,
        `tag=${a.tagName}`,
        `q=${a.word}`,
        "contactPhone=%2B5511987654321",
      ]) {
        const found = await ids(`/api/tickets?limit=100&${query}`);
        expect(found, `${label} ${query}`).not.toContain(a.ticketId);
      }
      expect(await ids(`/api/tickets?q=${a.word}`), label).toEqual([]);
      expect404(await as(`/api/tickets/${a.ticketId}`), `${label} GET ticket`);
      expect404(
        await as(`/api/tickets/${a.ticketId}`, { method: "PATCH", json: { priority: "urgent", tags: ["hack"] } }),
        `${label} PATCH ticket`,
      );
      const actions: [string, unknown][] = [
        ["assign", { assigneeId: null }],
        ["assign", { assigneeId: a.agentId }],
        ["transfer", { queueId: b.queueId }],
        ["transfer", { queueId: a.queueId }],
        ["resolve", undefined],
        ["close", undefined],
        ["reopen", undefined],
        ["read", undefined],
      ];
      for (const [action, json] of actions) {
        const res = await as(`/api/tickets/${a.ticketId}/${action}`, {
          method: "POST",
          ...(json === undefined ? {} : { json }),
        });
        expect404(res, `${label} ${action} ${JSON.stringify(json)}`);
      }
      expect404(await as(`/api/tickets/${a.ticketId}/messages`), `${label} list messages`);
      expect404(
        await as(`/api/tickets/${a.ticketId}/messages`, {
          json: { type: "text", text: "intruso" },
          headers: { "idempotency-key": unique("intruder-") },
        }),
        `${label} send message`,
      );
      // A's ids cannot be borrowed into B's own tickets.
      expect404(
        await as(`/api/tickets/${b.ticketId}/assign`, { json: { assigneeId: a.agentId } }),
        `${label} assign B's ticket to A's agent`,
      );
      expect404(
        await as(`/api/tickets/${b.ticketId}/transfer`, { json: { queueId: a.queueId } }),
        `${label} transfer B's ticket to A's queue`,
      );
      expect404(
        await as("/api/tickets", { json: { channelId: a.channel.id, phone: "+5511900009999" } }),
        `${label} open a ticket on A's channel`,
      );
      expect404(
        await as("/api/tickets", { json: { channelId: b.channel.id, contactId: a.contactId } }),
        `${label} open a ticket for A's contact`,
      );
      const stats = await as("/api/tickets/stats");
      expect(stats.status, stats.text).toBe(200);
      expect(stats.body.byStatus, label).toEqual({ open: 1, pending: 0, resolved: 0, closed: 0 });
      expect(
        stats.body.byQueue.map((q: { queueId: string }) => q.queueId),
        label,
      ).toEqual([b.queueId]);

      // Channels.
      expect(await ids("/api/channels?limit=100"), label).toEqual([b.channel.id]);
      expect404(await as(`/api/channels/${a.channel.id}`), `${label} GET channel`);
      expect404(
        await as(`/api/channels/${a.channel.id}`, { method: "PATCH", json: { active: false } }),
        `${label} PATCH channel`,
      );
      expect404(
        await as(`/api/channels/${a.channel.id}`, { method: "PATCH", json: { config: { appSecret: "mine" } } }),
        `${label} PATCH channel config`,
      );
      expect404(await as(`/api/channels/${a.channel.id}`, { method: "DELETE" }), `${label} DELETE channel`);
      expect404(
        await as(`/api/channels/${b.channel.id}`, { method: "PATCH", json: { queueId: a.queueId } }),
        `${label} route B's channel to A's queue`,
      );

      // Agents.
      expect(await ids("/api/agents?limit=100"), label).toEqual([b.agentId]);
      expect404(await as(`/api/agents/${a.agentId}`), `${label} GET agent`);
      expect404(
        await as(`/api/agents/${a.agentId}`, { method: "PATCH", json: { status: "online", maxConcurrent: 99 } }),
        `${label} PATCH agent`,
      );
      expect404(
        await as(`/api/agents/${b.agentId}`, { method: "PATCH", json: { queueIds: [a.queueId] } }),
        `${label} put B's agent in A's queue`,
      );

      // Contacts.
      const contacts = await ids("/api/contacts?limit=100");
      expect(contacts, label).not.toContain(a.contactId);
      expect(contacts, label).toContain(b.contactId);
      expect404(await as(`/api/contacts/${a.contactId}`), `${label} GET contact`);
      expect404(
        await as(`/api/contacts/${a.contactId}`, { method: "PATCH", json: { name: "Roubado", optOut: true } }),
        `${label} PATCH contact`,
      );
      expect404(
        await as(`/api/contacts/${b.contactId}/merge`, { json: { duplicateId: a.contactId } }),
        `${label} merge A's contact into B's`,
      );
      expect404(
        await as(`/api/contacts/${a.contactId}/merge`, { json: { duplicateId: b.contactId } }),
        `${label} merge B's contact into A's`,
      );

      // Queues.
      expect(await ids("/api/queues?limit=100"), label).toEqual([b.queueId]);
      expect404(await as(`/api/queues/${a.queueId}`), `${label} GET queue`);
      expect404(
        await as(`/api/queues/${a.queueId}`, { method: "PATCH", json: { name: "Roubada" } }),
        `${label} PATCH queue`,
      );
      expect404(await as(`/api/queues/${a.queueId}`, { method: "DELETE" }), `${label} DELETE queue`);
      expect404(await as(`/api/queues/${a.queueId}/members`), `${label} queue members`);
      expect404(
        await as(`/api/queues/${a.queueId}/members/${b.agentId}`, { method: "PUT" }),
        `${label} join A's queue`,
      );
      expect404(
        await as(`/api/queues/${b.queueId}/members/${a.agentId}`, { method: "PUT" }),
        `${label} add A's agent to B's queue`,
      );

      // Templates.
      expect(await ids("/api/templates?limit=100"), label).toEqual([b.templateId]);
      expect404(await as(`/api/templates/${a.templateId}`), `${label} GET template`);
      expect404(
        await as(`/api/templates/${a.templateId}`, { method: "PATCH", json: { body: "pwned" } }),
        `${label} PATCH template`,
      );
      expect404(await as(`/api/templates/${a.templateId}`, { method: "DELETE" }), `${label} DELETE template`);
      expect404(await as(`/api/templates/${a.templateId}/render`, { json: {} }), `${label} render A's template`);
      expect404(
        await as(`/api/templates/${b.templateId}/render`, { json: { ticketId: a.ticketId } }),
        `${label} render with A's ticket`,
      );
      expect404(
        await as(`/api/templates/${b.templateId}/render`, { json: { contactId: a.contactId } }),
        `${label} render with A's contact`,
      );

      // Tags.
      expect(await ids("/api/tags?limit=100"), label).toEqual([b.tagId]);
      expect404(await as(`/api/tags/${a.tagId}`), `${label} GET tag`);
      expect404(await as(`/api/tags/${a.tagId}`, { method: "PATCH", json: { name: "roubada" } }), `${label} PATCH tag`);
      expect404(await as(`/api/tags/${a.tagId}`, { method: "DELETE" }), `${label} DELETE tag`);

      // Jobs.
      const jobs = await ids("/api/jobs?limit=100");
      for (const id of a.jobIds) expect(jobs, `${label} lists A's job ${id}`).not.toContain(id);
      expect(jobs, label).toContain(b.deadJob);
      expect404(await as(`/api/jobs/${a.deadJob}/retry`, { method: "POST" }), `${label} retry A's job`);
    }

    // A is untouched, and still fully usable by A.
    expect(await footprint(a.tenant.organizationId)).toEqual(beforeA);
    const ticket = await call(`/api/tickets/${a.ticketId}`, { token: a.tenant.token });
    expect(ticket.body).toMatchObject({
      status: "open",
      priority: "normal",
      queueId: a.queueId,
      tags: [a.tagName],
      channelId: a.channel.id,
    });
    const channel = await call(`/api/channels/${a.channel.id}`, { token: a.tenant.token });
    expect(channel.body).toMatchObject({ active: true, queueId: a.queueId });
    const agent = await call(`/api/agents/${a.agentId}`, { token: a.tenant.token });
    expect(agent.body).toMatchObject({ status: "offline", maxConcurrent: 5, queueIds: [a.queueId] });
    const contact = await call(`/api/contacts/${a.contactId}`, { token: a.tenant.token });
    expect(contact.body).toMatchObject({ optOut: false, mergedIntoId: null });
    expect(contact.body.name).not.toBe("Roubado");
    const members = await call(`/api/queues/${a.queueId}/members`, { token: a.tenant.token });
    expect(members.body.data.map((m: { userId: string }) => m.userId)).toEqual([a.agentId]);
    const template = await call(`/api/templates/${a.templateId}`, { token: a.tenant.token });
    expect(template.body.body).toBe("Olá {{contact.name}}, ticket #{{ticket.number}}");
    const tag = await call(`/api/tags/${a.tagId}`, { token: a.tenant.token });
    expect(tag.body.name).toBe(a.tagName);
    const retried = await call(`/api/jobs/${a.deadJob}/retry`, { method: "POST", token: a.tenant.token });
    expect(retried.status, retried.text).toBe(200);
    // Last, as it is the one that files something: A's queue id cannot be borrowed for B's new tickets.
    for (const [label, credential, phone] of [
      ["B's token", b.tenant.token, "+5511900009998"],
      ["B's API key", b.tenant.apiKey, "+5511900009997"],
    ] as const) {
      const res = await call("/api/tickets", {
        token: credential,
        json: { channelId: b.channel.id, phone, queueId: a.queueId },
      });
      expect.soft(res.status, `${label} open a ticket in A's queue: ${res.text}`).toBe(404);
    }
    // B's own tickets never picked up A's ids.
    const leaks = await withDb((db) =>
      db
        .select({ id: tickets.id })
        .from(tickets)
        .where(
          sql`${tickets.organizationId} = ${b.tenant.organizationId} and (${tickets.queueId} = ${a.queueId} or ${tickets.channelId} = ${a.channel.id} or ${tickets.contactId} = ${a.contactId} or ${tickets.assigneeId} = ${a.agentId})`,
        ),
    );
    expect(leaks).toEqual([]);
  });

  it("scopes Idempotency-Keys per organization", async () => {
    const a = await helpdesk(await createTenant());
    const b = await helpdesk(await createTenant());
    // helpdesk() already sent on A's and B's tickets with "shared-key-1"; a fresh key now.
    const key = unique("key-");
    const body = { type: "text", text: "mesma chave, mesma mensagem" };
    const fromA = await call(`/api/tickets/${a.ticketId}/messages`, {
      token: a.tenant.token,
      json: body,
      headers: { "idempotency-key": key },
    });
    expect(fromA.status, fromA.text).toBe(202);
    const fromB = await call(`/api/tickets/${b.ticketId}/messages`, {
      token: b.tenant.token,
      json: body,
      headers: { "idempotency-key": key },
    });
    expect(fromB.status, fromB.text).toBe(202);
    expect(fromB.headers.get("idempotent-replayed")).toBeNull();
    expect(fromB.body.ticketId).toBe(b.ticketId);
    expect(fromB.body.id).not.toBe(fromA.body.id);
  });

  it("never lets a webhook addressed to A's channel create anything in B", async () => {
    const a = await helpdesk(await createTenant());
    const b = await helpdesk(await createTenant());
    const before = { a: await footprint(a.tenant.organizationId), b: await footprint(b.tenant.organizationId) };

    // Signed with B's secret, naming B's number, sent to A's channel: refused.
    const forged = metaMessagePayload(b.phoneNumberId, {
      type: "text",
      text: { body: "forjada" },
      from: "5511900008001",
    });
    const refused = await postMeta(a.channel.id, b.config.appSecret, forged);
    expect(refused.status, refused.text).toBe(401);
    // Sent to B's channel but naming A's number: B's channel ignores numbers that are not its own.
    const misaddressed = metaMessagePayload(a.phoneNumberId, {
      type: "text",
      text: { body: "para o número de A" },
      from: "5511900008002",
    });
    const ignored = await postMeta(b.channel.id, b.config.appSecret, misaddressed);
    expect(ignored.status, ignored.text).toBe(200);
    expect(ignored.body).toMatchObject({ messages: 0 });
    // A's channel id under another provider's path is no channel at all.
    for (const path of [
      `/webhooks/telegram/${a.channel.id}`,
      `/webhooks/builderbot/${a.channel.id}`,
      `/webhooks/zapi/${a.channel.id}/anything`,
      `/webhooks/twilio/${a.channel.id}/sms`,
    ]) {
      const res = await call(path, { method: "POST", body: "{}", headers: { "content-type": "application/json" } });
      expect(res.status, `${path}: ${res.text}`).toBe(404);
    }
    expect(await footprint(a.tenant.organizationId)).toEqual(before.a);
    expect(await footprint(b.tenant.organizationId)).toEqual(before.b);

    // A genuine delivery to A's channel lands in A only.
    const genuine = await a.inbound("5511900008003", "cliente novo de A");
    expect(genuine.status, genuine.text).toBe(200);
    expect(genuine.body).toMatchObject({ messages: 1 });
    const afterA = await footprint(a.tenant.organizationId);
    expect(afterA).toEqual({
      tickets: (before.a.tickets ?? 0) + 1,
      contacts: (before.a.contacts ?? 0) + 1,
      messages: (before.a.messages ?? 0) + 1,
    });
    expect(await footprint(b.tenant.organizationId)).toEqual(before.b);
    const misplaced = await withDb((db) =>
      db
        .select({ id: tickets.id, organizationId: tickets.organizationId })
        .from(tickets)
        .where(eq(tickets.channelId, a.channel.id)),
    );
    expect(misplaced.every((t) => t.organizationId === a.tenant.organizationId)).toBe(true);
    const seenByB = await call("/api/tickets?limit=100", { token: b.tenant.token });
    expect(seenByB.body.data.map((t: { id: string }) => t.id)).toEqual([b.ticketId]);
  });
});
