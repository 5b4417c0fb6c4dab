// Auto-assignment: fewest open tickets under the maximum, race-free under concurrent webhooks.
import { and, eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { agents as agentsTable, ticketHistory, tickets } from "@/db/schema";
import { withDb } from "../support/db";
import { createTenant, type Tenant, unique } from "../support/fixtures";
import { call, runScheduled } from "../support/http";
import { inFlight } from "../support/in-flight";
import { metaMessagePayload, postMeta } from "../support/meta";
import { createChannel } from "../support/provider";
import { jobsOf } from "../support/scenario";
import { seedMember } from "../support/seed";

async function agent(tenant: Tenant, queueId: string, options: { maxConcurrent: number; status?: string }) {
  const email = `${unique("ag")}@example.com`;
  const id = (await seedMember(tenant.organizationId, "agent", { email, name: `Agent ${email}` })).userId;
  const res = await call(`/api/agents/${id}`, {
    method: "PATCH",
    token: tenant.token,
    json: { queueIds: [queueId], maxConcurrent: options.maxConcurrent, status: options.status ?? "online" },
  });
  expect(res.status, res.text).toBe(200);
  return id;
}

async function setup() {
  const tenant = await createTenant();
  const queue = await call("/api/queues", {
    token: tenant.token,
    json: { name: unique("Suporte "), slaFirstResponseMinutes: 15, slaResolutionMinutes: 240 },
  });
  expect(queue.status, queue.text).toBe(201);
  const phoneNumberId = unique("pn");
  const config = { phoneNumberId, accessToken: "t", appSecret: unique("s"), verifyToken: "v" };
  const channel = await createChannel(tenant.token, { type: "whatsapp_meta", config, queueId: queue.body.id });
  const inbound = (from: string) =>
    postMeta(
      channel.id,
      config.appSecret,
      metaMessagePayload(phoneNumberId, { from, type: "text", text: { body: "oi" } }),
    );
  return { tenant, queueId: queue.body.id as string, channel, inbound };
}

const assignments = (organizationId: string) =>
  withDb(async (db) => {
    const rows = await db
      .select({ id: tickets.id, assigneeId: tickets.assigneeId })
      .from(tickets)
      .where(eq(tickets.organizationId, organizationId));
    const history = rows.length
      ? await db
          .select()
          .from(ticketHistory)
          .where(
            and(
              inArray(
                ticketHistory.ticketId,
                rows.map((r) => r.id),
              ),
              eq(ticketHistory.action, "assigned"),
            ),
          )
      : [];
    return { rows, history };
  });

describe("auto-assignment", () => {
  it("gives a new ticket to the online agent with the fewest open tickets, and SLA due times from the queue", async () => {
    const { tenant, queueId, inbound } = await setup();
    const busy = await agent(tenant, queueId, { maxConcurrent: 5 });
    const first = await inbound("5511900000001");
    expect(first.status).toBe(200);
    const free = await agent(tenant, queueId, { maxConcurrent: 5 });
    await agent(tenant, queueId, { maxConcurrent: 5, status: "offline" });
    await inbound("5511900000002");
    // Revealed: lists mask phones by default, and tickets are told apart here by phone.
    const list = await call(`/api/tickets?queueId=${queueId}&reveal=true`, { token: tenant.token });
    const byPhone = Object.fromEntries(
      list.body.data.map((t: { contact: { phone: string }; assigneeId: string }) => [t.contact.phone, t]),
    );
    expect(byPhone["+5511900000001"].assigneeId).toBe(busy);
    expect(byPhone["+5511900000002"].assigneeId).toBe(free);
    const ticket = byPhone["+5511900000002"];
    expect(Date.parse(ticket.firstResponseDueAt) - Date.parse(ticket.createdAt)).toBeCloseTo(15 * 60_000, -4);
    expect(Date.parse(ticket.resolutionDueAt) - Date.parse(ticket.createdAt)).toBeCloseTo(240 * 60_000, -4);
  });

  it("leaves tickets unassigned when nobody is available and hands them out when an agent comes online", async () => {
    const { tenant, queueId, inbound } = await setup();
    const later = await agent(tenant, queueId, { maxConcurrent: 2, status: "offline" });
    for (const n of [1, 2, 3]) await inbound(`551190000010${n}`);
    const waiting = await call("/api/tickets?assigneeId=none", { token: tenant.token });
    expect(waiting.body.data).toHaveLength(3);
    const online = await call(`/api/agents/${later}`, {
      method: "PATCH",
      token: tenant.token,
      json: { status: "online" },
    });
    expect(online.body.status).toBe("online");
    expect((await call(`/api/agents/${later}`, { token: tenant.token })).body.openTickets).toBe(2);
    expect((await call("/api/tickets?assigneeId=none", { token: tenant.token })).body.data).toHaveLength(1);
  });

  it("enqueues no assignment job while nobody can take a new ticket", async () => {
    const { tenant, queueId, inbound } = await setup();
    await agent(tenant, queueId, { maxConcurrent: 5, status: "offline" });
    expect((await inbound("5511900000201")).status).toBe(200);
    expect((await jobsOf(tenant.organizationId)).map((j) => j.name)).not.toContain("ticket.assign");
    const online = await agent(tenant, queueId, { maxConcurrent: 5 });
    expect((await inbound("5511900000202")).status).toBe(200);
    expect((await jobsOf(tenant.organizationId)).filter((j) => j.name === "ticket.assign")).toHaveLength(1);
    // The first ticket waited without a job: the agent coming online handed it out (the drain).
    expect((await call(`/api/agents/${online}`, { token: tenant.token })).body.openTickets).toBe(2);
  });

  it("hands a waiting ticket to the agent who frees capacity by resolving one", async () => {
    const { tenant, queueId, inbound } = await setup();
    const solo = await agent(tenant, queueId, { maxConcurrent: 1 });
    await inbound("5511900000301");
    await inbound("5511900000302");
    const waiting = await call("/api/tickets?assigneeId=none", { token: tenant.token });
    expect(waiting.body.data).toHaveLength(1);
    const [first] = (await call(`/api/tickets?assigneeId=${solo}`, { token: tenant.token })).body.data;
    const resolved = await call(`/api/tickets/${first.id}/resolve`, { method: "POST", token: tenant.token });
    expect(resolved.status, resolved.text).toBe(200);
    const now = await call(`/api/tickets/${waiting.body.data[0].id}`, { token: tenant.token });
    expect(now.body.assigneeId).toBe(solo);
  });

  it("hands out, on the cron's sweep, a ticket that no job or drain reached", async () => {
    const { tenant, queueId, inbound } = await setup();
    const late = await agent(tenant, queueId, { maxConcurrent: 5, status: "offline" });
    await inbound("5511900000401");
    // Online behind the API's back: as when an agent's status committed after the new ticket's
    // statement looked for someone and before its drain could see the ticket.
    await withDb((db) => db.update(agentsTable).set({ status: "online" }).where(eq(agentsTable.userId, late)));
    expect((await call("/api/tickets?assigneeId=none", { token: tenant.token })).body.data).toHaveLength(1);
    await runScheduled();
    expect((await call("/api/tickets?assigneeId=none", { token: tenant.token })).body.data).toHaveLength(0);
    expect((await call(`/api/agents/${late}`, { token: tenant.token })).body.openTickets).toBe(1);
  });

  it("hands out, on the cron's sweep, a ticket behind a longer backlog that nobody can serve", async () => {
    // An organization with everyone offline and more unassigned tickets than one sweep takes (200).
    const idle = await setup();
    for (let batch = 0; batch < 5; batch++) {
      const sent = await Promise.all(
        Array.from({ length: 50 }, (_, i) => idle.inbound(`55119${String(20_000_000 + batch * 50 + i)}`)),
      );
      for (const res of sent) expect(res.status, res.text).toBe(200);
    }
    const busy = await setup();
    const late = await agent(busy.tenant, busy.queueId, { maxConcurrent: 5, status: "offline" });
    await busy.inbound("5511900000402");
    await withDb((db) => db.update(agentsTable).set({ status: "online" }).where(eq(agentsTable.userId, late)));
    await runScheduled();
    expect((await call("/api/tickets?assigneeId=none", { token: busy.tenant.token })).body.data).toHaveLength(0);
    expect((await call(`/api/agents/${late}`, { token: busy.tenant.token })).body.openTickets).toBe(1);
  });

  it("keeps its invariants under 50 inbound webhooks, 25 at once", { timeout: 180_000 }, async () => {
    const started = Date.now();
    const { tenant, queueId, inbound } = await setup();
    const agents = [
      await agent(tenant, queueId, { maxConcurrent: 10 }),
      await agent(tenant, queueId, { maxConcurrent: 10 }),
      await agent(tenant, queueId, { maxConcurrent: 10 }),
    ];
    // 25 in flight: each webhook's connection stays open while its assignment job, delivered
    // locally, holds a second (and that job's event deliveries a third). 50 at once peaked at 97
    // of PostgreSQL 15's 100 connections with this test alone (52 now), and once a job's claim
    // failed on "too many clients", leaving an agent a ticket short.
    const results = await inFlight(
      25,
      Array.from({ length: 50 }, (_, i) => () => inbound(`55119${String(10_000_000 + i).padStart(8, "0")}`)),
    );
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
    console.log(`50 webhooks, 25 at once, in ${Date.now() - started} ms`);
    const { rows, history } = await assignments(tenant.organizationId);
    expect(rows).toHaveLength(50);
    const load = new Map<string, number>();
    for (const row of rows) if (row.assigneeId) load.set(row.assigneeId, (load.get(row.assigneeId) ?? 0) + 1);
    for (const id of agents) expect(load.get(id), `agent ${id}`).toBe(10);
    expect(rows.filter((r) => r.assigneeId === null)).toHaveLength(20);
    // No ticket was assigned twice.
    expect(new Set(history.map((h) => h.ticketId)).size).toBe(history.length);
    expect(history).toHaveLength(30);
    const numbers = await withDb((db) =>
      db.select({ n: tickets.number }).from(tickets).where(eq(tickets.organizationId, tenant.organizationId)),
    );
    expect(new Set(numbers.map((r) => r.n)).size).toBe(50);
  });
});
