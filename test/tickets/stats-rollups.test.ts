// GET /api/tickets/stats reads rollups kept by a trigger on tickets (migrations/0022_scale_sql.sql,
// 0024_nr_rollup_sql.sql). Checked against the exact computation from every ticket and its SLA
// events (test/support/stats-exact.ts) after random ticket histories (created, answered, resolved,
// reopened, closed, transferred, assigned, moved in time, deleted; customers writing again after a
// reply, the sweep starting and breaching next-response clocks through `scheduled`, replies
// stopping them, breaches recorded and removed: through the API and behind its back), over
// windows of every shape; and against a rebuild from the tickets after concurrent writes, which
// must lose no count.
import { and, eq, inArray, isNotNull, ne, sql } from "drizzle-orm";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import { contacts, slaEvents, ticketStatsCounts, ticketStatsDurations, tickets } from "@/db/schema";
import { periodBlocks } from "@/tickets/stats-service";
import { withDb } from "../support/db";
import { createTenant, type Tenant, unique } from "../support/fixtures";
import { prng, seedOf } from "../support/fuzz";
import { call, runScheduled } from "../support/http";
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
    await queue({ slaFirstResponseMinutes: 15, slaResolutionMinutes: 240, slaNextResponseMinutes: 30 }),
    await queue({ slaFirstResponseMinutes: 60, slaResolutionMinutes: 1440, slaNextResponseMinutes: 120 }),
    await queue({}),
  ];
  const agents = [];
  for (let i = 0; i < 3; i++) agents.push((await seedMember(tenant.organizationId, "agent")).userId);
  const phoneNumberId = unique("pn");
  const config = { phoneNumberId, accessToken: "EAAG-test", appSecret: unique("secret"), verifyToken: "v" };
  const channel = await createChannel(tenant.token, { type: "whatsapp_meta", config, queueId: queues[0] });
  /** A customer's message, sent now or `at` (Meta's timestamps are whole seconds); the webhook's answer. */
  const send = (from: string, at = new Date()) => {
    const timestamp = String(Math.floor(at.getTime() / 1000));
    const payload = metaMessagePayload(phoneNumberId, { type: "text", text: { body: "oi" }, from, timestamp });
    return postMeta(channel.id, config.appSecret, payload);
  };
  const inbound = async (from: string, at = new Date()) => {
    const res = await send(from, at);
    expect(res.status, res.text).toBe(200);
  };
  return { tenant, queues, agents, channel, send, inbound };
}
type World = Awaited<ReturnType<typeof world>>;

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

const running = (t: typeof tickets.$inferSelect) =>
  t.waitingSince !== null && t.nextResponseDueAt !== null && t.nextResponseFrom?.getTime() === t.waitingSince.getTime();

/**
 * The customer writes again: through the webhook on an open conversation of the channel (its own
 * ticket), else straight into the column (a wait since `since`, unless one is on already).
 */
async function customerWrites(w: World, row: typeof tickets.$inferSelect, since: Date) {
  if (row.channelId === w.channel.id && (row.status === "open" || row.status === "pending")) {
    const [contact] = await withDb((db) => db.select().from(contacts).where(eq(contacts.id, row.contactId)));
    return w.inbound(String(contact?.phone).slice(1));
  }
  return setTicket(row.id, { waitingSince: row.waitingSince ?? since });
}

/**
 * A next-response clock through the sweep: the customer of a ticket waiting (since a few minutes
 * ago, if not yet), a `scheduled` run that starts its clock (when the ticket qualifies: answered
 * once, open or pending, in a queue with a next-response target), its due time moved into the
 * past, sometimes a late reply, and a `scheduled` run that records the breach.
 */
async function sweepBreach(w: World, rng: Rng, id: string, now: number) {
  const read = async () => (await withDb((db) => db.select().from(tickets).where(eq(tickets.id, id))))[0];
  const row = await read();
  if (!row) return;
  if (!row.waitingSince) await setTicket(id, { waitingSince: new Date(now - int(rng, 1, 20) * 60_000) });
  await runScheduled();
  const started = await read();
  if (!started || !running(started) || rng() < 0.3) return;
  await setTicket(id, {
    nextResponseDueAt: new Date(now - int(rng, 1, 600) * 60_000),
    slaCheckAt: new Date(now - 1000),
  });
  if (rng() < 0.4)
    await call(`/api/tickets/${id}/messages`, { token: w.tenant.token, json: { type: "text", text: "Oi" } });
  await runScheduled();
}

/** One random change to one ticket, through the API or straight in the database. */
async function randomChange(w: World, rng: Rng, id: string, now: number) {
  const { tenant } = w;
  const [row] = await withDb((db) => db.select().from(tickets).where(eq(tickets.id, id)));
  if (!row) return;
  const created = row.createdAt.getTime();
  const after = (maxSeconds: number) => new Date(Math.min(now - 1000, created + int(rng, 0, maxSeconds) * 1000));
  const minutesAgo = (max: number) => new Date(now - int(rng, 1, max) * 60_000);
  // biome-ignore format: a list
  switch (
    pick(rng, ["answer", "answer-api", "resolve", "reopen", "close", "transfer", "assign", "unassign", "move", "due",
      "write-again", "write-again", "sweep", "sweep-breach", "sweep-breach", "breach-sql", "unbreach-sql", "clock-sql"])
  ) {
    case "answer":
      return setTicket(id, { firstResponseAt: after(pick(rng, [50, 3600, 86_400 * 3])) });
    case "answer-api":
      // Also answers a waiting customer: a running next-response clock stops.
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
    case "write-again":
      return customerWrites(w, row, minutesAgo(30));
    case "sweep":
      // Starts the clocks of customers waiting after a reply (and judges whatever is due).
      return runScheduled();
    case "sweep-breach":
      return sweepBreach(w, rng, id, now);
    case "breach-sql":
      // A breach recorded behind the sweep's back (a data fix): the ticket is marked all the same.
      return withDb((db) =>
        db
          .insert(slaEvents)
          .values({
            organizationId: row.organizationId,
            ticketId: id,
            kind: "next_response",
            level: "breached",
            cycle: Math.max(1, row.nextResponseCycle) + int(rng, 0, 1),
            crossedAt: minutesAgo(600),
            dueAt: minutesAgo(600),
          })
          .onConflictDoNothing(),
      );
    case "unbreach-sql":
      return withDb((db) =>
        db.delete(slaEvents).where(and(eq(slaEvents.ticketId, id), eq(slaEvents.kind, "next_response"))),
      );
    case "clock-sql": {
      // Any state of the clock columns, the odd ones too (a wait without the clock's start).
      const wait = minutesAgo(60);
      return setTicket(id, {
        nextResponseCycle: int(rng, 0, 2),
        waitingSince: pick(rng, [null, wait]),
        nextResponseFrom: pick(rng, [null, wait, minutesAgo(600)]),
        nextResponseDueAt: pick(rng, [null, minutesAgo(30), new Date(now + 30 * 60_000)]),
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
              first_response_waiting, resolution_met, resolution_late, resolution_waiting, next_response_met,
              next_response_breached, next_response_waiting) > 0`,
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

afterEach(() => vi.restoreAllMocks());

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
    for (let i = 0; i < 200; i++) await randomChange(w, rng, pick(rng, ids), now);
    // Then customers write again on about half the tickets, and the sweep starts their clocks.
    for (const row of await withDb((db) =>
      db.select().from(tickets).where(eq(tickets.organizationId, w.tenant.organizationId)),
    )) {
      if (rng() < 0.5) await customerWrites(w, row, new Date(now - 60_000));
    }
    await runScheduled();
    // And an agent answers about a third of the waits whose clock runs (which stops it).
    for (const row of await withDb((db) =>
      db.select().from(tickets).where(eq(tickets.organizationId, w.tenant.organizationId)),
    )) {
      // Where the customer last wrote over a day ago, WhatsApp's window is closed and the reply
      // would be refused (409): the cron runs of other test files, at their own clocks, can start
      // a clock on such a ticket. Tested after rng() so the seeded history stays the same.
      const windowOpen = (row.lastInboundAt?.getTime() ?? 0) > Date.now() - 24 * 3_600_000 + 60_000;
      if (running(row) && (row.status === "open" || row.status === "pending") && rng() < 0.35 && windowOpen) {
        const res = await call(`/api/tickets/${row.id}/messages`, {
          token: w.tenant.token,
          json: { type: "text", text: "Oi" },
        });
        expect(res.status, res.text).toBe(202);
      }
    }
    // And one wait is left running whatever the history: the cron runs of other test files, at
    // the real time, breach or start clocks between this history's steps, so which waits are still
    // running here varies from run to run (none, in some full runs). An answered ticket moves to
    // the two-hour queue and its customer writes now: a clock no run can breach during the test.
    const [kept] = await withDb((db) =>
      db
        .select({ id: tickets.id })
        .from(tickets)
        .where(
          and(
            eq(tickets.organizationId, w.tenant.organizationId),
            inArray(tickets.status, ["open", "pending"]),
            isNotNull(tickets.firstResponseAt),
            ne(tickets.id, ids[0] as string),
          ),
        )
        .orderBy(tickets.id)
        .limit(1),
    );
    expect(kept, "an open, answered ticket to keep waiting").toBeDefined();
    const moved = await action(w.tenant, kept?.id as string, "transfer", { queueId: w.queues[1] });
    expect(moved.status, moved.text).toBe(200);
    await setTicket(kept?.id as string, { waitingSince: new Date(Date.now() - 60_000) });
    await runScheduled();
    await runScheduled();
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
    // Tickets with next-response history at the windows' ends, read from the tickets themselves.
    const clocked = await withDb((db) =>
      db
        .select({ createdAt: tickets.createdAt })
        .from(tickets)
        .where(and(eq(tickets.organizationId, w.tenant.organizationId), sql`next_response_cycle > 0`))
        .limit(3),
    );
    for (const { createdAt } of clocked) {
      const around = (hours: number) => new Date(createdAt.getTime() + hours * 3_600_000).toISOString();
      windows.push([`a clocked ticket within the window's only day`, `?from=${around(-1)}&to=${around(1)}`]);
      windows.push([`a clocked ticket in the window's first partial day`, `?from=${around(-0.1)}&to=${around(100)}`]);
    }
    expect(clocked.length, "tickets with next-response history").toBeGreaterThan(0);
    for (const [label, query] of windows) await expectExact(w.tenant, query, `${label} (seed ${seed})`);
    const all = await expectExact(w.tenant, `?from=${at(1000)}`, "everything");
    expect(all.byStatus.open + all.byStatus.pending + all.byStatus.resolved + all.byStatus.closed).toBe(25);
    // The history reached every next-response outcome (waiting: a clock running now).
    const [outcomes] = await withDb((db) =>
      db
        .select({ waiting: sql<number>`sum(next_response_waiting)::int` })
        .from(ticketStatsCounts)
        .where(and(eq(ticketStatsCounts.organizationId, w.tenant.organizationId), eq(ticketStatsCounts.level, 3))),
    );
    const { met, breached } = all.sla.nextResponse;
    expect({ met, breached, waiting: outcomes?.waiting }, `seed ${seed}`).toEqual({
      met: expect.any(Number),
      breached: expect.any(Number),
      waiting: expect.any(Number),
    });
    expect(
      Math.min(met, breached, outcomes?.waiting ?? 0),
      `seed ${seed}: ${met}, ${breached}, ${outcomes?.waiting}`,
    ).toBeGreaterThan(0);
    await rollupsAgainstRebuild(w.tenant.organizationId);
  });

  it("count next response as the SLA report does: waits after a reply, sweep breaches, replies, reopens", {
    timeout: 60_000,
  }, async () => {
    const w = await world();
    // Around the tickets: whole days (from the rollups), and an hour either side (the tickets read at the ends).
    const iso = (ms: number) => new Date(Date.now() + ms).toISOString();
    const windows = [`from=${iso(-3 * DAY)}&to=${iso(DAY)}`, `from=${iso(-3_600_000)}&to=${iso(3_600_000)}`];
    const reply = async (id: string) => {
      const res = await call(`/api/tickets/${id}/messages`, {
        token: w.tenant.token,
        json: { type: "text", text: "Oi" },
      });
      expect(res.status, res.text).toBe(202);
    };
    const ticketOf = async (phone: string) => {
      const [row] = await withDb((db) =>
        db
          .select({ id: tickets.id })
          .from(tickets)
          .innerJoin(contacts, eq(contacts.id, tickets.contactId))
          .where(and(eq(tickets.organizationId, w.tenant.organizationId), eq(contacts.phone, `+${phone}`))),
      );
      return row?.id as string;
    };
    /** Stats' next response, checked against the report's total (its pending alongside) and the exact figures. */
    const expectNextResponse = async (met: number, breached: number, pending: number, step: string) => {
      const rate = met + breached === 0 ? null : met / (met + breached);
      for (const window of windows) {
        const stats = await expectExact(w.tenant, `?${window}`, `${step} (${window})`);
        const report = await call(`/api/sla/report?${window}`, { token: w.tenant.token });
        expect(report.status, report.text).toBe(200);
        expect(report.body.total.nextResponse, `${step}: ${report.text}`).toEqual({ met, breached, pending, rate });
        expect(stats.sla.nextResponse, `${step} (${window})`).toEqual({ met, breached, rate });
      }
    };
    const [a, b] = ["5511950000001", "5511950000002"];
    // Each round of customer messages a minute after the last (Meta's timestamps are whole seconds,
    // and a wait at the instant of the previous one would be the same wait, its clock running still).
    const started = Date.now();
    const round = (n: number) => new Date(started + n * 60_000);
    for (const phone of [a, b]) await w.inbound(phone, round(0));
    const [ta, tb] = [await ticketOf(a), await ticketOf(b)];
    for (const id of [ta, tb]) await reply(id);
    await expectNextResponse(0, 0, 0, "answered once, nobody waiting");

    for (const phone of [a, b]) await w.inbound(phone, round(1));
    await expectNextResponse(0, 0, 0, "customers write again: no clock until the sweep starts one");
    await runScheduled();
    await expectNextResponse(0, 0, 2, "the sweep starts both clocks");

    await reply(tb);
    await expectNextResponse(1, 0, 1, "b answered in time");
    await setTicket(ta, { nextResponseDueAt: new Date(Date.now() - 60_000), slaCheckAt: new Date(Date.now() - 1000) });
    await runScheduled();
    await expectNextResponse(1, 1, 0, "the sweep records a's breach");
    await reply(ta);
    await expectNextResponse(1, 1, 0, "a answered late: still breached");

    for (const id of [ta, tb]) expect((await action(w.tenant, id, "resolve")).status).toBe(200);
    for (const phone of [a, b]) await w.inbound(phone, round(2));
    await expectNextResponse(1, 1, 0, "both reopened by the customer's message, which no reply preceded");
    for (const id of [ta, tb]) await reply(id);
    for (const phone of [a, b]) await w.inbound(phone, round(3));
    await runScheduled();
    await expectNextResponse(0, 1, 1, "second waits, both clocks run: b pending, a breached in an earlier cycle");
    expect((await action(w.tenant, tb, "resolve")).status).toBe(200);
    await expectNextResponse(1, 1, 0, "b resolved while waiting: settled, met");
    await withDb((db) => db.delete(slaEvents).where(eq(slaEvents.ticketId, ta)));
    await expectNextResponse(1, 0, 1, "a's breaches removed (a data fix): its second clock runs, pending");
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
      const phones = Array.from({ length: 20 }, (_, i) => `55119${String(40_000_000 + i).padStart(8, "0")}`);
      for (const phone of phones) await w.inbound(phone);
      const ids = await ticketIds(w.tenant.organizationId);
      const rng = prng(seedOf("stats-rollups-concurrent"));
      const reply = (id: string) =>
        call(`/api/tickets/${id}/messages`, { token: w.tenant.token, json: { type: "text", text: "Oi" } });
      // Every customer answered and waiting again, their next-response clocks started; half of
      // them overdue, for the concurrent sweeps below to breach.
      for (const id of ids) expect((await reply(id)).status).toBe(202);
      const later = new Date(Date.now() + 60_000);
      for (const phone of phones) await w.inbound(phone, later);
      await runScheduled();
      // Created on different days and in different queues, so that a sweep's batch spans rollup rows.
      for (const id of ids) {
        await setTicket(id, {
          createdAt: new Date(Date.now() - int(rng, 0, 40 * 86_400) * 1000),
          queueId: pick(rng, w.queues.slice(0, 2)),
        });
      }
      const overdue = ids.filter(() => rng() < 0.5);
      for (const id of overdue) {
        await setTicket(id, {
          nextResponseDueAt: new Date(Date.now() - 60_000),
          slaCheckAt: new Date(Date.now() - 1000),
        });
      }
      // New conversations (ticket inserts on the same rows of today), changes to the others,
      // replies, customers writing again and overlapping sweeps starting and breaching their
      // clocks, all at once, in a shuffled order.
      const writes = [
        ...Array.from({ length: 30 }, (_, i) => () => w.send(`55119${String(41_000_000 + i).padStart(8, "0")}`)),
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
        ...Array.from({ length: 20 }, () => {
          const id = pick(rng, ids);
          return () => reply(id);
        }),
        ...Array.from({ length: 15 }, (_, i) => {
          const phone = pick(rng, phones);
          return () => w.send(phone, new Date(later.getTime() + (i + 1) * 1000));
        }),
        ...Array.from({ length: 8 }, () => () => runScheduled()),
      ];
      for (let i = writes.length - 1; i > 0; i--) {
        const j = Math.floor(rng() * (i + 1));
        [writes[i], writes[j]] = [writes[j] as (typeof writes)[number], writes[i] as (typeof writes)[number]];
      }
      // A failed sweep batch is logged (and judged again on the next tick): none may be a deadlock.
      const logged: string[] = [];
      for (const level of ["error", "warn"] as const) {
        vi.spyOn(console, level).mockImplementation((line: unknown) => {
          logged.push(String(line));
        });
      }
      // Twelve at a time: each request and each job it causes holds a connection of its own, and
      // the server's connections are shared with every other test run on the machine.
      const results = [];
      for (let i = 0; i < writes.length; i += 12) {
        results.push(...(await Promise.all(writes.slice(i, i + 12).map((write) => write()))));
      }
      vi.restoreAllMocks();
      expect(logged.filter((line) => /deadlock|cron task failed|batch failed/.test(line))).toEqual([]);
      for (const result of results) {
        if (result && "status" in result)
          expect(result.status, `${result.text}\n${logged.join("\n")}`).toBeLessThan(500);
      }
      await expectExact(w.tenant, "", "after concurrent writes, last 30 days");
      const since = new Date(Date.now() - 100 * DAY).toISOString();
      const stats = await expectExact(w.tenant, `?from=${since}`, "after concurrent writes, everything");
      const total = stats.byStatus.open + stats.byStatus.pending + stats.byStatus.resolved + stats.byStatus.closed;
      expect(total).toBe((await ticketIds(w.tenant.organizationId)).length);
      expect(stats.sla.nextResponse.breached, JSON.stringify(stats.sla)).toBeGreaterThan(0);
      await rollupsAgainstRebuild(w.tenant.organizationId);
    },
  );
});
