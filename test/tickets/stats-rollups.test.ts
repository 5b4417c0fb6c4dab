// GET /api/tickets/stats reads rollups kept by a trigger on tickets (migrations/0013_scale_sql.sql).
// Checked against the exact computation from every ticket (test/support/stats-exact.ts) after
// random ticket histories (created, answered, resolved, reopened, closed, transferred, assigned,
// moved in time, deleted: through the API and behind its back), over windows of every shape; and
// against a rebuild from the tickets after concurrent writes, which must lose no count.
import { and, eq, sql } from "drizzle-orm";
import { describe, expect, inject, it } from "vitest";
import { contacts, ticketStatsCounts, ticketStatsDurations, tickets } from "@/db/schema";
import { periodBlocks } from "@/tickets/stats-service";
import { withDb } from "../support/db";
import { createTenant, type Tenant, unique } from "../support/fixtures";
import { prng, seedOf } from "../support/fuzz";
import { call } from "../support/http";
import { metaMessagePayload, postMeta } from "../support/meta";
import { createChannel } from "../support/provider";
import { seedMember } from "../support/seed";
import { exactStats } from "../support/stats-exact";

const DAY = 86_400_000;
type Rng = () => number;
const int = (rng: Rng, min: number, max: number) => min + Math.floor(rng() * (max - min + 1));
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)] as T;

async function world() {
  const tenant = await createTenant();
  const queue = async (sla: Record<string, number>) => {
    const res = await call("/api/queues", { token: tenant.token, json: { name: unique("Fila "), ...sla } });
    expect(res.status, res.text).toBe(201);
    return res.body.id as string;
  };
  const queues = [
    await queue({ slaFirstResponseMinutes: 15, slaResolutionMinutes: 240 }),
    await queue({ slaFirstResponseMinutes: 60, slaResolutionMinutes: 1440 }),
    await queue({}),
  ];
  const agents = [];
  for (let i = 0; i < 3; i++) agents.push((await seedMember(tenant.organizationId, "agent")).userId);
  const phoneNumberId = unique("pn");
  const config = { phoneNumberId, accessToken: "EAAG-test", appSecret: unique("secret"), verifyToken: "v" };
  const channel = await createChannel(tenant.token, { type: "whatsapp_meta", config, queueId: queues[0] });
  const inbound = async (from: string) => {
    const res = await postMeta(
      channel.id,
      config.appSecret,
      metaMessagePayload(phoneNumberId, { type: "text", text: { body: "oi" }, from }),
    );
    expect(res.status, res.text).toBe(200);
  };
  return { tenant, queues, agents, channel, inbound };
}

const ticketIds = (organizationId: string) =>
  withDb(async (db) =>
    (await db.select({ id: tickets.id }).from(tickets).where(eq(tickets.organizationId, organizationId))).map(
      (t) => t.id,
    ),
  );

const setTicket = (id: string, values: Record<string, unknown>) =>
  withDb((db) => db.update(tickets).set(values).where(eq(tickets.id, id)));

const action = (tenant: Tenant, id: string, name: string, json?: unknown) =>
  call(`/api/tickets/${id}/${name}`, { method: "POST", token: tenant.token, ...(json ? { json } : {}) });

/** One random change to one ticket, through the API or straight in the database. */
async function randomChange(w: Awaited<ReturnType<typeof world>>, rng: Rng, id: string, now: number) {
  const { tenant } = w;
  const [row] = await withDb((db) => db.select().from(tickets).where(eq(tickets.id, id)));
  if (!row) return;
  const created = row.createdAt.getTime();
  const after = (maxSeconds: number) => new Date(Math.min(now - 1000, created + int(rng, 0, maxSeconds) * 1000));
  switch (
    pick(rng, ["answer", "answer-api", "resolve", "reopen", "close", "transfer", "assign", "unassign", "move", "due"])
  ) {
    case "answer":
      return setTicket(id, { firstResponseAt: after(pick(rng, [50, 3600, 86_400 * 3])) });
    case "answer-api":
      return call(`/api/tickets/${id}/messages`, { token: tenant.token, json: { type: "text", text: "Olá!" } });
    case "resolve":
      return rng() < 0.5
        ? action(tenant, id, "resolve")
        : setTicket(id, { status: "resolved", resolvedAt: after(86_400 * 4) });
    case "reopen":
      return action(tenant, id, "reopen");
    case "close":
      return action(tenant, id, "close");
    case "transfer":
      return action(tenant, id, "transfer", { queueId: pick(rng, w.queues) });
    case "assign":
      return action(tenant, id, "assign", { assigneeId: pick(rng, w.agents) });
    case "unassign":
      return setTicket(id, { assigneeId: null });
    case "move": {
      // An earlier creation time (answers and resolutions stay after it): the ticket moves to
      // another day of the rollups, or within its day, and its durations grow.
      const createdAt = new Date(created - int(rng, 0, pick(rng, [3600, 20 * 86_400])) * 1000);
      return setTicket(id, { createdAt });
    }
    case "due": {
      // Due times around the answer times (some met, some late, some not due yet).
      const at = (minutes: number) => new Date(created + minutes * 60_000);
      return setTicket(id, {
        firstResponseDueAt: rng() < 0.2 ? null : at(int(rng, 1, 3 * 1440)),
        resolutionDueAt: rng() < 0.2 ? null : at(int(rng, 60, 7 * 1440)),
      });
    }
  }
}

/** The documented precision of a median: 1%, a second below a minute; plus rounding to whole seconds. */
const tolerance = (exact: number) => (exact < 60 ? 1 : exact * 0.01 + 0.5);

/** The API's figures against the exact ones: counts and SLA equal, medians within 1% (plus rounding). */
async function expectExact(tenant: Tenant, query: string, label: string) {
  const res = await call(`/api/tickets/stats${query}`, { token: tenant.token });
  expect(res.status, res.text).toBe(200);
  const exact = await exactStats(tenant.organizationId, new Date(res.body.from), new Date(res.body.to));
  const { firstResponseMedianSeconds: fr, resolutionMedianSeconds: res_, ...rest } = exact;
  const message = `${label}: ${res.text}`;
  expect(res.body, message).toMatchObject(rest);
  for (const [approx, value] of [
    [res.body.firstResponseMedianSeconds, fr],
    [res.body.resolutionMedianSeconds, res_],
  ] as const) {
    if (value === null) expect(approx, message).toBeNull();
    else expect(Math.abs(approx - value), `${message} (exact ${value})`).toBeLessThanOrEqual(tolerance(value));
  }
  return res.body;
}

/** What the trigger kept, next to what a rebuild from the tickets computes (rows of zeros aside). */
async function rollupsAgainstRebuild(organizationId: string) {
  const snapshot = () =>
    withDb(async (db) => {
      const counts = await db
        .select()
        .from(ticketStatsCounts)
        .where(
          and(
            eq(ticketStatsCounts.organizationId, organizationId),
            sql`greatest(open, pending, resolved, closed, first_response_met, first_response_late,
              first_response_waiting, resolution_met, resolution_late, resolution_waiting) > 0`,
          ),
        )
        .orderBy(ticketStatsCounts.level, ticketStatsCounts.period, ticketStatsCounts.dimension, ticketStatsCounts.key);
      const durations = await db
        .select()
        .from(ticketStatsDurations)
        .where(
          and(
            eq(ticketStatsDurations.organizationId, organizationId),
            sql`exists (select 1 from unnest(coarse) n where n <> 0)`,
          ),
        )
        .orderBy(ticketStatsDurations.level, ticketStatsDurations.period, ticketStatsDurations.metric);
      return { counts, durations };
    });
  const kept = await snapshot();
  await withDb((db) => db.execute(sql`select ticket_stats_rebuild(${organizationId}::uuid)`));
  const rebuilt = await snapshot();
  expect(kept.counts.length).toBeGreaterThan(0);
  expect(kept.counts).toEqual(rebuilt.counts);
  expect(kept.durations).toEqual(rebuilt.durations);
}

describe("ticket statistics from rollups", () => {
  it("tiles whole days with the fewest aligned blocks", () => {
    expect(periodBlocks(0, 1)).toEqual([{ level: 0, period: 0 }]);
    expect(periodBlocks(7, 17)).toEqual([
      { level: 0, period: 7 },
      { level: 1, period: 1 },
      { level: 0, period: 16 },
    ]);
    const rng = prng(seedOf("period-blocks"));
    for (let i = 0; i < 200; i++) {
      const first = int(rng, 19_000, 21_000);
      const end = first + int(rng, 0, 800);
      const blocks = periodBlocks(first, end);
      const days = blocks.flatMap(({ level, period }) =>
        Array.from({ length: 8 ** level }, (_, d) => period * 8 ** level + d),
      );
      expect(days, `${first}..${end}`).toEqual(Array.from({ length: end - first }, (_, d) => first + d));
      expect(blocks.length, `${first}..${end}`).toBeLessThanOrEqual(7 * 6 + 2);
    }
  });

  it("equal the exact computation over random ticket histories, for windows of every shape", {
    timeout: 120_000,
  }, async () => {
    const seed = seedOf("stats-rollups", String(inject("databaseKind")));
    const rng = prng(seed);
    const w = await world();
    const now = Date.now();
    for (let i = 0; i < 24; i++) {
      const phone = `+55119${String(30_000_000 + i).padStart(8, "0")}`;
      if (i % 3 === 0) await w.inbound(phone.slice(1));
      else {
        const res = await call("/api/tickets", { token: w.tenant.token, json: { channelId: w.channel.id, phone } });
        expect(res.status, res.text).toBe(201);
      }
    }
    // Two imported already answered and resolved, written straight to the table.
    await withDb(async (db) => {
      const [contact] = await db
        .insert(contacts)
        .values({ organizationId: w.tenant.organizationId, phone: "+5511930009999" })
        .returning();
      for (const [i, queueId] of [w.queues[0], undefined].entries()) {
        await db.insert(tickets).values({
          organizationId: w.tenant.organizationId,
          number: 1000 + i,
          contactId: contact?.id as string,
          queueId,
          assigneeId: w.agents[i],
          status: "resolved",
          createdAt: new Date(now - 5 * DAY),
          firstResponseDueAt: new Date(now - 5 * DAY + 600_000),
          firstResponseAt: new Date(now - 5 * DAY + 900_000),
          resolvedAt: new Date(now - 4 * DAY),
        });
      }
    });
    const ids = await ticketIds(w.tenant.organizationId);
    // Spread over the last four months, at any second of the day.
    for (const id of ids) await setTicket(id, { createdAt: new Date(now - int(rng, 0, 120 * 86_400) * 1000) });
    for (let i = 0; i < 140; i++) await randomChange(w, rng, pick(rng, ids), now);
    // A deleted ticket leaves the figures.
    await withDb((db) => db.delete(tickets).where(eq(tickets.id, ids[0] as string)));

    const at = (days: number) => new Date(now - days * DAY).toISOString();
    const windows: [string, string][] = [
      ["default (last 30 days)", ""],
      ["last 7 days", `?from=${at(7)}`],
      ["everything", `?from=${at(1000)}`],
      ["days not aligned at either end", `?from=${at(45.3)}&to=${at(3.7)}`],
      ["within one day", `?from=${at(10.2)}&to=${at(10.05)}`],
      ["across one midnight, no whole day", `?from=${at(20.6)}&to=${at(19.9)}`],
      ["empty", `?from=${at(3000)}&to=${at(2000)}`],
    ];
    for (const [label, query] of windows) await expectExact(w.tenant, query, `${label} (seed ${seed})`);
    const all = await expectExact(w.tenant, `?from=${at(1000)}`, "everything");
    expect(all.byStatus.open + all.byStatus.pending + all.byStatus.resolved + all.byStatus.closed).toBe(25);
    await rollupsAgainstRebuild(w.tenant.organizationId);
  });

  it.runIf(inject("databaseKind") === "postgres")(
    "lose no count under concurrent writes to one organization's tickets",
    { timeout: 120_000 },
    async () => {
      const w = await world();
      for (const agent of w.agents) {
        await call(`/api/agents/${agent}`, {
          method: "PATCH",
          token: w.tenant.token,
          json: { status: "online", maxConcurrent: 100, queueIds: w.queues },
        });
      }
      for (let i = 0; i < 20; i++) await w.inbound(`55119${String(40_000_000 + i).padStart(8, "0")}`);
      const ids = await ticketIds(w.tenant.organizationId);
      const rng = prng(seedOf("stats-rollups-concurrent"));
      // New conversations (ticket inserts on the same rows of today), and changes to the others,
      // all at once.
      const writes = [
        ...Array.from({ length: 30 }, (_, i) => () => w.inbound(`55119${String(41_000_000 + i).padStart(8, "0")}`)),
        ...Array.from({ length: 60 }, () => {
          const id = pick(rng, ids);
          const change = pick(rng, ["resolve", "reopen", "close", "transfer", "assign", "answer"]);
          return async () => {
            if (change === "answer") {
              return setTicket(id, { firstResponseAt: sql`created_at + make_interval(secs => ${int(rng, 0, 600)})` });
            }
            if (change === "transfer") return action(w.tenant, id, "transfer", { queueId: pick(rng, w.queues) });
            if (change === "assign") return action(w.tenant, id, "assign", { assigneeId: pick(rng, w.agents) });
            return action(w.tenant, id, change);
          };
        }),
      ];
      // Twelve at a time: each request and each job it causes holds a connection of its own, and
      // the server's connections are shared with every other test run on the machine.
      const results = [];
      for (let i = 0; i < writes.length; i += 12) {
        results.push(...(await Promise.all(writes.slice(i, i + 12).map((write) => write()))));
      }
      for (const result of results) {
        if (result && "status" in result) expect(result.status, result.text).toBeLessThan(500);
      }
      const stats = await expectExact(w.tenant, "", "after concurrent writes");
      expect(stats.byStatus.open + stats.byStatus.pending + stats.byStatus.resolved + stats.byStatus.closed).toBe(50);
      await rollupsAgainstRebuild(w.tenant.organizationId);
    },
  );
});
