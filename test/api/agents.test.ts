// The agent API: who works tickets (agents and supervisors), their load and queues, who may
// change what, and the hand-out of waiting tickets when capacity appears.
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { ticketHistory, tickets } from "@/db/schema";
import { withDb } from "../support/db";
import { createTenant, type Tenant, unique } from "../support/fixtures";
import { call } from "../support/http";
import { metaMessagePayload, postMeta } from "../support/meta";
import { createChannel } from "../support/provider";
import { seedMember } from "../support/seed";

type Agent = {
  id: string;
  name: string;
  email: string;
  role: string;
  status: string;
  maxConcurrent: number;
  openTickets: number;
  queueIds: string[];
  statusChangedAt: string | null;
  lastAssignedAt: string | null;
};

async function member(tenant: Tenant, role: "agent" | "supervisor" | "admin") {
  const email = `${unique(role)}@example.com`;
  const seeded = await seedMember(tenant.organizationId, role, { email, name: `${role} ${email}` });
  return { id: seeded.userId, token: seeded.token, email, name: seeded.name };
}

async function queue(tenant: Tenant) {
  const res = await call("/api/queues", { token: tenant.token, json: { name: unique("Fila ") } });
  expect(res.status, res.text).toBe(201);
  return res.body.id as string;
}

const patchAgent = (token: string, id: string, json: unknown) =>
  call(`/api/agents/${id}`, { method: "PATCH", token, json });

async function agentList(token: string): Promise<Agent[]> {
  const res = await call("/api/agents?limit=100", { token });
  expect(res.status, res.text).toBe(200);
  return res.body.data;
}

const sorted = (ids: string[]) => [...ids].sort();

async function metaChannel(tenant: Tenant, queueId?: string) {
  const phoneNumberId = unique("pn");
  const config = { phoneNumberId, accessToken: "EAAG-test", appSecret: unique("secret"), verifyToken: "v" };
  const channel = await createChannel(tenant.token, { type: "whatsapp_meta", config, queueId });
  const inbound = async (from: string) => {
    const res = await postMeta(
      channel.id,
      config.appSecret,
      metaMessagePayload(phoneNumberId, { type: "text", text: { body: "preciso de ajuda" }, from }),
    );
    expect(res.status, res.text).toBe(200);
  };
  return { channel, inbound };
}

async function ticketIds(token: string, query: string): Promise<string[]> {
  const res = await call(`/api/tickets?limit=100&${query}`, { token });
  expect(res.status, res.text).toBe(200);
  return res.body.data.map((t: { id: string }) => t.id);
}

describe("GET /api/agents", () => {
  it("lists agents and supervisors (not admins) with their open tickets and queues", async () => {
    const tenant = await createTenant();
    const q1 = await queue(tenant);
    const q2 = await queue(tenant);
    const agent = await member(tenant, "agent");
    const supervisor = await member(tenant, "supervisor");
    const admin = await member(tenant, "admin");
    expect((await patchAgent(tenant.token, agent.id, { queueIds: [q1, q2] })).status).toBe(200);
    expect((await patchAgent(tenant.token, supervisor.id, { queueIds: [q2] })).status).toBe(200);

    // The agent holds an open, a pending, a resolved and a closed ticket; the supervisor one open.
    const { channel } = await metaChannel(tenant);
    const held: { id: string }[] = [];
    for (let i = 1; i <= 5; i++) {
      const res = await call("/api/tickets", {
        token: tenant.token,
        json: { channelId: channel.id, phone: `+55119000020${String(i).padStart(2, "0")}` },
      });
      expect(res.status, res.text).toBe(201);
      held.push(res.body);
    }
    const [t1, t2, t3, t4, t5] = held.map((t) => t.id) as [string, string, string, string, string];
    for (const id of [t1, t2, t3, t4]) {
      const res = await call(`/api/tickets/${id}/assign`, { token: tenant.token, json: { assigneeId: agent.id } });
      expect(res.status, res.text).toBe(200);
    }
    await call(`/api/tickets/${t2}`, { method: "PATCH", token: tenant.token, json: { status: "pending" } });
    await call(`/api/tickets/${t3}/resolve`, { method: "POST", token: tenant.token });
    await call(`/api/tickets/${t4}/close`, { method: "POST", token: tenant.token });
    await call(`/api/tickets/${t5}/assign`, { token: tenant.token, json: { assigneeId: supervisor.id } });

    const list = await agentList(tenant.token);
    expect(list.map((a) => a.id)).toEqual(sorted([agent.id, supervisor.id]));
    const byId = new Map(list.map((a) => [a.id, a]));
    expect(byId.get(agent.id)).toEqual({
      id: agent.id,
      name: agent.name,
      email: agent.email,
      role: "agent",
      status: "offline",
      maxConcurrent: 5,
      openTickets: 2,
      queueIds: expect.arrayContaining([q1, q2]),
      statusChangedAt: null,
      lastAssignedAt: null,
    });
    expect(byId.get(agent.id)?.queueIds).toHaveLength(2);
    expect(byId.get(supervisor.id)).toMatchObject({ role: "supervisor", openTickets: 1, queueIds: [q2] });
    expect(byId.has(admin.id)).toBe(false);
    expect(byId.has(tenant.userId)).toBe(false);

    // Every role may read the list and a single agent.
    for (const token of [agent.token, supervisor.token, tenant.apiKey]) {
      expect((await agentList(token)).map((a) => a.id)).toEqual(sorted([agent.id, supervisor.id]));
    }
    const one = await call(`/api/agents/${agent.id}`, { token: agent.token });
    expect(one.status, one.text).toBe(200);
    expect(one.body).toEqual(byId.get(agent.id));
    for (const id of [admin.id, tenant.userId, crypto.randomUUID()]) {
      const res = await call(`/api/agents/${id}`, { token: tenant.token });
      expect(res.status, `${id}: ${res.text}`).toBe(404);
    }

    // Keyset pages by user id.
    const first = await call("/api/agents?limit=1", { token: tenant.token });
    const second = await call(`/api/agents?limit=1&cursor=${first.body.nextCursor}`, { token: tenant.token });
    expect([...first.body.data, ...second.body.data].map((a: Agent) => a.id)).toEqual(
      sorted([agent.id, supervisor.id]),
    );
    expect(second.body.nextCursor).toBeNull();
  });

  it("leaves out deactivated users and users promoted to admin", async () => {
    const tenant = await createTenant();
    const stays = await member(tenant, "agent");
    const promoted = await member(tenant, "agent");
    const leaves = await member(tenant, "supervisor");
    expect((await agentList(tenant.token)).map((a) => a.id)).toEqual(sorted([stays.id, promoted.id, leaves.id]));

    const gone = await call(`/api/users/${leaves.id}`, { method: "DELETE", token: tenant.token });
    expect(gone.status, gone.text).toBe(204);
    expect((await agentList(tenant.token)).map((a) => a.id)).toEqual(sorted([stays.id, promoted.id]));

    const promote = await call(`/api/users/${promoted.id}`, {
      method: "PATCH",
      token: tenant.token,
      json: { role: "admin" },
    });
    expect(promote.status, promote.text).toBe(200);
    expect((await agentList(tenant.token)).map((a) => a.id)).toEqual([stays.id]);
    expect((await call(`/api/agents/${promoted.id}`, { token: tenant.token })).status).toBe(404);
  });

  it("stops handing tickets to an online agent once promoted to admin", async () => {
    const tenant = await createTenant();
    const q = await queue(tenant);
    const promoted = await member(tenant, "agent");
    expect((await patchAgent(tenant.token, promoted.id, { queueIds: [q], status: "online" })).status).toBe(200);
    const promote = await call(`/api/users/${promoted.id}`, {
      method: "PATCH",
      token: tenant.token,
      json: { role: "admin" },
    });
    expect(promote.status, promote.text).toBe(200);
    const { inbound } = await metaChannel(tenant, q);
    await inbound("5511900003101");
    const [ticket] = await ticketIds(tenant.token, "");
    expect(await ticketIds(tenant.token, `assigneeId=${promoted.id}`), "an admin was auto-assigned a ticket").toEqual(
      [],
    );
    const manual = await call(`/api/tickets/${ticket}/assign`, {
      token: tenant.token,
      json: { assigneeId: promoted.id },
    });
    expect(manual.status, manual.text).toBe(404);
  });

  it("lists an admin demoted to agent", async () => {
    const tenant = await createTenant();
    const admin = await member(tenant, "admin");
    expect(await agentList(tenant.token)).toEqual([]);
    const demote = await call(`/api/users/${admin.id}`, {
      method: "PATCH",
      token: tenant.token,
      json: { role: "agent" },
    });
    expect(demote.status, demote.text).toBe(200);
    expect(await agentList(tenant.token)).toMatchObject([{ id: admin.id, role: "agent", status: "offline" }]);
  });
});

describe("PATCH /api/agents/{id}", () => {
  it("lets an agent set their own status and nothing else (403)", async () => {
    const tenant = await createTenant();
    const q = await queue(tenant);
    const agent = await member(tenant, "agent");
    const colleague = await member(tenant, "agent");

    const away = await patchAgent(agent.token, agent.id, { status: "away" });
    expect(away.status, away.text).toBe(200);
    expect(away.body).toMatchObject({ id: agent.id, status: "away", maxConcurrent: 5 });
    expect(Math.abs(Date.parse(away.body.statusChangedAt) - Date.now())).toBeLessThan(60_000);

    for (const json of [
      { maxConcurrent: 50 },
      { status: "online", maxConcurrent: 50 },
      { queueIds: [q] },
      { status: "busy", queueIds: [] },
    ]) {
      const res = await patchAgent(agent.token, agent.id, json);
      expect(res.status, `${JSON.stringify(json)}: ${res.text}`).toBe(403);
      expect(res.body.code).toBe("FORBIDDEN");
    }
    const other = await patchAgent(agent.token, colleague.id, { status: "online" });
    expect(other.status, other.text).toBe(403);

    const me = await call(`/api/agents/${agent.id}`, { token: agent.token });
    expect(me.body).toMatchObject({ status: "away", maxConcurrent: 5, queueIds: [] });
    const them = await call(`/api/agents/${colleague.id}`, { token: agent.token });
    expect(them.body).toMatchObject({ status: "offline", statusChangedAt: null });
  });

  it("lets supervisors and admins change anyone's status, capacity and queues", async () => {
    const tenant = await createTenant();
    const q1 = await queue(tenant);
    const q2 = await queue(tenant);
    const agent = await member(tenant, "agent");
    const supervisor = await member(tenant, "supervisor");

    const set = await patchAgent(supervisor.token, agent.id, { status: "busy", maxConcurrent: 8, queueIds: [q1, q2] });
    expect(set.status, set.text).toBe(200);
    expect(set.body).toMatchObject({ status: "busy", maxConcurrent: 8 });
    expect(sorted(set.body.queueIds)).toEqual(sorted([q1, q2]));
    // Queues are replaced, not added to; duplicates collapse.
    const replaced = await patchAgent(supervisor.token, agent.id, { queueIds: [q2, q2] });
    expect(replaced.status, replaced.text).toBe(200);
    expect(replaced.body.queueIds).toEqual([q2]);
    const emptied = await patchAgent(tenant.token, agent.id, { queueIds: [] });
    expect(emptied.body.queueIds).toEqual([]);

    const bySelf = await patchAgent(supervisor.token, supervisor.id, { maxConcurrent: 2, status: "online" });
    expect(bySelf.status, bySelf.text).toBe(200);
    expect(bySelf.body).toMatchObject({ role: "supervisor", maxConcurrent: 2, status: "online" });
    const byKey = await patchAgent(tenant.apiKey, supervisor.id, { maxConcurrent: 0 });
    expect(byKey.status, byKey.text).toBe(200);
    expect(byKey.body.maxConcurrent).toBe(0);

    // The queue's member list agrees.
    const members = await call(`/api/queues/${q2}/members`, { token: tenant.token });
    expect(members.body.data).toEqual([]);
    await patchAgent(tenant.token, agent.id, { queueIds: [q1] });
    const q1Members = await call(`/api/queues/${q1}/members`, { token: tenant.token });
    expect(q1Members.body.data.map((m: { userId: string }) => m.userId)).toEqual([agent.id]);

    for (const json of [
      {},
      { status: "sleeping" },
      { maxConcurrent: 101 },
      { maxConcurrent: -1 },
      { queueIds: ["x"] },
    ]) {
      const res = await patchAgent(tenant.token, agent.id, json);
      expect(res.status, `${JSON.stringify(json)}: ${res.text}`).toBe(400);
    }
  });

  it("answers 404 for an unknown or foreign queue, and for ids that are no agent, changing nothing", async () => {
    const tenant = await createTenant();
    const mine = await queue(tenant);
    const foreign = await queue(await createTenant());
    const agent = await member(tenant, "agent");
    expect((await patchAgent(tenant.token, agent.id, { queueIds: [mine], maxConcurrent: 4 })).status).toBe(200);

    for (const queueIds of [[crypto.randomUUID()], [mine, crypto.randomUUID()], [foreign], [mine, foreign]]) {
      const res = await patchAgent(tenant.token, agent.id, { queueIds, maxConcurrent: 9, status: "away" });
      expect(res.status, `${JSON.stringify(queueIds)}: ${res.text}`).toBe(404);
      expect(res.body.code).toBe("NOT_FOUND");
    }
    const after = await call(`/api/agents/${agent.id}`, { token: tenant.token });
    expect(after.body).toMatchObject({ queueIds: [mine], maxConcurrent: 4, status: "offline" });

    for (const id of [crypto.randomUUID(), tenant.userId]) {
      const res = await patchAgent(tenant.token, id, { status: "online" });
      expect(res.status, `${id}: ${res.text}`).toBe(404);
    }
  });

  it("hands waiting tickets of the agent's queues out when the agent comes online", async () => {
    const tenant = await createTenant();
    const q = await queue(tenant);
    const agent = await member(tenant, "agent");
    const outsider = await member(tenant, "agent");
    const supervisor = await member(tenant, "supervisor");
    expect((await patchAgent(tenant.token, agent.id, { queueIds: [q], maxConcurrent: 2 })).status).toBe(200);
    const { inbound } = await metaChannel(tenant, q);
    for (const n of [1, 2, 3]) await inbound(`551190000030${n}`);
    const waiting = await ticketIds(tenant.token, "assigneeId=none");
    expect(waiting).toHaveLength(3);
    const [newest, middle, oldest] = waiting;

    // Busy is not available; an online agent of another queue takes nothing.
    expect((await patchAgent(agent.token, agent.id, { status: "busy" })).status).toBe(200);
    expect((await patchAgent(outsider.token, outsider.id, { status: "online" })).status).toBe(200);
    expect(await ticketIds(tenant.token, "assigneeId=none")).toEqual(waiting);

    const online = await patchAgent(agent.token, agent.id, { status: "online" });
    expect(online.status, online.text).toBe(200);
    expect(sorted(await ticketIds(tenant.token, `assigneeId=${agent.id}`))).toEqual(
      sorted([oldest, middle] as string[]),
    );
    expect(await ticketIds(tenant.token, "assigneeId=none")).toEqual([newest]);
    const me = await call(`/api/agents/${agent.id}`, { token: agent.token });
    expect(me.body).toMatchObject({ status: "online", openTickets: 2 });
    expect(me.body.lastAssignedAt).not.toBeNull();
    const history = await withDb((db) =>
      db
        .select()
        .from(ticketHistory)
        .where(and(eq(ticketHistory.ticketId, oldest as string), eq(ticketHistory.action, "assigned"))),
    );
    expect(history).toMatchObject([
      { actorType: "system", changes: { assigneeId: { before: null, after: agent.id } } },
    ]);

    // More capacity takes the rest.
    const raised = await patchAgent(supervisor.token, agent.id, { maxConcurrent: 3 });
    expect(raised.status, raised.text).toBe(200);
    expect(raised.body.maxConcurrent).toBe(3);
    expect((await call(`/api/agents/${agent.id}`, { token: tenant.token })).body.openTickets).toBe(3);
    expect(await ticketIds(tenant.token, "assigneeId=none")).toEqual([]);
    const owners = await withDb((db) =>
      db
        .select({ assigneeId: tickets.assigneeId })
        .from(tickets)
        .where(eq(tickets.organizationId, tenant.organizationId)),
    );
    expect(owners.map((o) => o.assigneeId)).toEqual([agent.id, agent.id, agent.id]);
  });
});
