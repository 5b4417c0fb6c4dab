// GET /api/sla/report (and the next-response figure of /api/tickets/stats) against figures
// worked out by hand from tickets and recorded breaches written straight into the database.
import { describe, expect, it } from "vitest";
import { type SlaKind, slaEvents, type tickets } from "@/db/schema";
import { withDb } from "../support/db";
import { createTenant } from "../support/fixtures";
import { call } from "../support/http";
import { seedTicket, slaOrg } from "./support";

const at = (iso: string) => new Date(iso);
const c = (met: number, breached: number, pending: number) => ({
  met,
  breached,
  pending,
  rate: met + breached === 0 ? null : met / (met + breached),
});

async function seeded() {
  const org = await slaOrg({ slaFirstResponseMinutes: 10 }, { connect: false });
  const q2 = await call("/api/queues", { token: org.tenant.token, json: { name: `Vendas ${org.queueId}` } });
  const stranger = await createTenant();
  const A = org.agent.userId;
  const B = org.otherAgent.userId;
  const Q1 = org.queueId;
  const Q2 = q2.body.id as string;
  const insert = async (organizationId: string, values: Partial<typeof tickets.$inferInsert>) =>
    (await seedTicket(organizationId, values)).id;
  const ids = await (async () => {
    const o = org.tenant.organizationId;
    const due = at("2026-10-05T23:00:00Z");
    return {
      // a: everything met (answered, resolved, two waits answered in time).
      a: await insert(o, {
        queueId: Q1,
        assigneeId: A,
        createdAt: at("2026-10-05T10:00:00Z"),
        firstResponseDueAt: due,
        firstResponseAt: at("2026-10-05T10:05:00Z"),
        resolutionDueAt: due,
        status: "resolved",
        resolvedAt: at("2026-10-05T12:00:00Z"),
        nextResponseCycle: 2,
      }),
      // b: every kind breached.
      b: await insert(o, {
        queueId: Q1,
        assigneeId: A,
        createdAt: at("2026-10-05T11:00:00Z"),
        firstResponseDueAt: due,
        resolutionDueAt: due,
        nextResponseCycle: 1,
      }),
      // c: every kind still running (a customer waiting on a started next-response clock).
      c: await insert(o, {
        queueId: Q1,
        assigneeId: B,
        createdAt: at("2026-10-06T01:00:00Z"), // 22:00 on the 5th in São Paulo
        firstResponseDueAt: due,
        resolutionDueAt: due,
        firstResponseAt: null,
        nextResponseCycle: 1,
        waitingSince: at("2026-10-06T02:00:00Z"),
        nextResponseFrom: at("2026-10-06T02:00:00Z"),
        nextResponseDueAt: at("2026-10-06T03:00:00Z"),
      }),
      // d: answered late; resolution breached in its first cycle, met in the second after a reopen.
      d: await insert(o, {
        queueId: Q2,
        createdAt: at("2026-10-06T12:00:00Z"),
        firstResponseDueAt: due,
        firstResponseAt: at("2026-10-06T13:00:00Z"),
        resolutionDueAt: due,
        status: "resolved",
        resolvedAt: at("2026-10-06T14:00:00Z"),
        slaCycle: 2,
      }),
      // e: no first-response target; closed in time; three waits answered in time.
      e: await insert(o, {
        queueId: Q2,
        assigneeId: B,
        createdAt: at("2026-10-06T13:00:00Z"),
        resolutionDueAt: due,
        status: "closed",
        resolvedAt: at("2026-10-06T15:00:00Z"),
        closedAt: at("2026-10-06T15:00:00Z"),
        nextResponseCycle: 3,
      }),
      // f: before the window; g: another organization's. Both breached everything, and count nowhere.
      f: await insert(o, { queueId: Q1, createdAt: at("2026-10-04T23:00:00Z"), firstResponseDueAt: due }),
      g: await insert(stranger.organizationId, { createdAt: at("2026-10-05T10:00:00Z"), firstResponseDueAt: due }),
    };
  })();
  const breach = (ticketId: string, kind: SlaKind, cycle = 1, organizationId = org.tenant.organizationId) => ({
    organizationId,
    ticketId,
    kind,
    level: "breached" as const,
    cycle,
    crossedAt: at("2026-10-06T00:00:00Z"),
    dueAt: at("2026-10-06T00:00:00Z"),
  });
  await withDb((db) =>
    db.insert(slaEvents).values([
      breach(ids.b, "first_response"),
      breach(ids.b, "resolution"),
      breach(ids.b, "next_response"),
      { ...breach(ids.a, "first_response"), level: "warning" as const }, // warnings are no breach
      breach(ids.d, "first_response"),
      breach(ids.d, "resolution", 1),
      breach(ids.f, "first_response"),
      breach(ids.g, "first_response", 1, stranger.organizationId),
    ]),
  );
  return { org, Q1, Q2, A, B };
}

const window = "from=2026-10-05T00:00:00.000Z&to=2026-10-07T00:00:00.000Z";

describe("SLA report", () => {
  it("counts met, breached and pending per kind, in total and by queue, agent and day", async () => {
    const { org, Q1, Q2, A, B } = await seeded();
    const get = async (groupBy: string, extra = "") => {
      const res = await call(`/api/sla/report?${window}&groupBy=${groupBy}${extra}`, { token: org.supervisor.token });
      expect(res.status, res.text).toBe(200);
      return res.body;
    };
    const byQueue = await get("queue");
    expect(byQueue.total).toEqual({ firstResponse: c(1, 2, 1), nextResponse: c(2, 1, 1), resolution: c(2, 2, 1) });
    const groups = (body: { groups: { key: string | null }[] }) => new Map(body.groups.map((g) => [g.key, g]));
    expect(groups(byQueue)).toEqual(
      new Map([
        [Q1, { key: Q1, tickets: 3, firstResponse: c(1, 1, 1), nextResponse: c(1, 1, 1), resolution: c(1, 1, 1) }],
        [Q2, { key: Q2, tickets: 2, firstResponse: c(0, 1, 0), nextResponse: c(1, 0, 0), resolution: c(1, 1, 0) }],
      ]),
    );
    expect(groups(await get("agent"))).toEqual(
      new Map([
        [null, { key: null, tickets: 1, firstResponse: c(0, 1, 0), nextResponse: c(0, 0, 0), resolution: c(0, 1, 0) }],
        [A, { key: A, tickets: 2, firstResponse: c(1, 1, 0), nextResponse: c(1, 1, 0), resolution: c(1, 1, 0) }],
        [B, { key: B, tickets: 2, firstResponse: c(0, 0, 1), nextResponse: c(1, 0, 1), resolution: c(1, 0, 1) }],
      ]),
    );
    const byDay = await get("day");
    expect(byDay.groups.map((g: { key: string; tickets: number }) => [g.key, g.tickets])).toEqual([
      ["2026-10-05", 2],
      ["2026-10-06", 3],
    ]);
    const local = await get("day", "&timezone=America/Sao_Paulo");
    expect(local).toMatchObject({ timezone: "America/Sao_Paulo", groupBy: "day" });
    expect(local.groups.map((g: { key: string; tickets: number }) => [g.key, g.tickets])).toEqual([
      ["2026-10-05", 3],
      ["2026-10-06", 2],
    ]);
    expect(local.groups[0].firstResponse).toEqual(c(1, 1, 1));

    const stats = await call(`/api/tickets/stats?${window}`, { token: org.tenant.token });
    expect(stats.status, stats.text).toBe(200);
    expect(stats.body.sla.nextResponse).toEqual({ met: 2, breached: 1, rate: 2 / 3 });
  });

  it("refuses bad parameters (400), agents (403) and answers zeros for an empty organization", async () => {
    const org = await slaOrg({}, { connect: false });
    for (const query of ["groupBy=week", "timezone=Mars/Base", "from=yesterday"]) {
      const res = await call(`/api/sla/report?${query}`, { token: org.tenant.token });
      expect(res.status, res.text).toBe(400);
    }
    expect((await call("/api/sla/report", { token: org.agent.token })).status).toBe(403);
    const empty = await call("/api/sla/report", { token: org.tenant.apiKey });
    expect(empty.status, empty.text).toBe(200);
    expect(empty.body).toMatchObject({
      groupBy: "queue",
      timezone: "UTC",
      groups: [],
      total: { firstResponse: c(0, 0, 0), nextResponse: c(0, 0, 0), resolution: c(0, 0, 0) },
    });
  });
});
