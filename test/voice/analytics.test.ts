// GET /api/calls/analytics: every figure checked against numbers worked out by hand from calls
// seeded with upsertCall (as the provider webhooks store them), in total and per day, agent and
// channel; calls outside the range, simulated calls and other organizations' calls left out.
import { describe, expect, it } from "vitest";
import { callPlacements } from "@/db/schema";
import { type CallStatus, upsertCall } from "@/voice/calls";
import { twilioVoiceChannel } from "../support/calls";
import { withDb } from "../support/db";
import { createMember, createTenant, type Tenant, unique } from "../support/fixtures";
import { call } from "../support/http";

type Seed = {
  direction: "inbound" | "outbound";
  status: CallStatus;
  startedAt: string;
  provider?: string;
  channelId?: string;
  agentId?: string;
  providerAgentId?: string;
  waitSeconds?: number;
  durationSeconds?: number;
  answeredAt?: string;
  endedAt?: string;
  successful?: boolean;
};

async function seed(tenant: Tenant, s: Seed) {
  return withDb((db) =>
    upsertCall(db, {
      organizationId: tenant.organizationId,
      provider: s.provider ?? "twilio",
      providerCallId: unique("CA"),
      direction: s.direction,
      status: s.status,
      startedAt: new Date(s.startedAt),
      channelId: s.channelId,
      agentId: s.agentId,
      providerAgentId: s.providerAgentId,
      waitSeconds: s.waitSeconds,
      durationSeconds: s.durationSeconds,
      answeredAt: s.answeredAt ? new Date(s.answeredAt) : undefined,
      endedAt: s.endedAt ? new Date(s.endedAt) : undefined,
      successful: s.successful,
    }),
  );
}

const zeroStatuses = {
  queued: 0,
  ringing: 0,
  "in-progress": 0,
  completed: 0,
  busy: 0,
  "no-answer": 0,
  failed: 0,
  canceled: 0,
};

/**
 * Nine calls over two days, two channels, one person and one voice agent. The figures they must
 * give, worked out by hand:
 *  1 inbound completed, taken by Ana after 30 s in queue, 300 s of talk  answered  wait 30  talk 300  handle 330
 *  2 inbound completed, 60 s in queue, nobody answered                    missed, abandoned  wait 60
 *  3 inbound completed, no queue (voicemail)                              missed (not abandoned)
 *  4 outbound completed by Ana, 120 s (from answer)                       answered  talk 120  handle 120
 *  5 outbound no-answer                                                   missed
 *  6 inbound Retell completed, 90 s, successful                           answered  talk 90  AI success
 *  7 inbound Retell completed, 45 s, not successful                       answered  talk 45  AI failure
 *  8 outbound ringing                                                     in flight: neither
 *  9 inbound busy                                                         missed
 */
async function nineCalls() {
  const tenant = await createTenant();
  const ana = await createMember(tenant, "agent", "Ana");
  const sales = await twilioVoiceChannel(tenant.token);
  const support = await twilioVoiceChannel(tenant.token);
  const d1 = "2026-10-01";
  const d2 = "2026-10-02";
  await seed(tenant, {
    direction: "inbound",
    status: "completed",
    startedAt: `${d1}T10:00:00Z`,
    channelId: sales.channel.id,
    agentId: ana.userId,
    waitSeconds: 30,
    answeredAt: `${d1}T10:00:30Z`,
    endedAt: `${d1}T10:05:30Z`,
    durationSeconds: 330,
  });
  await seed(tenant, {
    direction: "inbound",
    status: "completed",
    startedAt: `${d1}T11:00:00Z`,
    channelId: sales.channel.id,
    waitSeconds: 60,
    durationSeconds: 75,
  });
  await seed(tenant, {
    direction: "inbound",
    status: "completed",
    startedAt: `${d1}T23:00:00Z`,
    channelId: sales.channel.id,
    durationSeconds: 20,
  });
  await seed(tenant, {
    direction: "outbound",
    status: "completed",
    startedAt: `${d1}T12:00:00Z`,
    channelId: sales.channel.id,
    agentId: ana.userId,
    durationSeconds: 120,
  });
  await seed(tenant, {
    direction: "outbound",
    status: "no-answer",
    startedAt: `${d1}T13:00:00Z`,
    channelId: support.channel.id,
  });
  const retell = { provider: "retell", providerAgentId: "agent_sofia", channelId: support.channel.id };
  await seed(tenant, {
    ...retell,
    direction: "inbound",
    status: "completed",
    startedAt: `${d2}T00:00:00Z`,
    durationSeconds: 90,
    successful: true,
  });
  await seed(tenant, {
    ...retell,
    direction: "inbound",
    status: "completed",
    startedAt: `${d2}T09:00:00Z`,
    durationSeconds: 45,
    successful: false,
  });
  await seed(tenant, {
    direction: "outbound",
    status: "ringing",
    startedAt: `${d2}T10:00:00Z`,
    channelId: support.channel.id,
  });
  await seed(tenant, {
    direction: "inbound",
    status: "busy",
    startedAt: `${d2}T23:59:59Z`,
    channelId: support.channel.id,
  });

  // Left out: before the range, after it, simulated, and another organization's.
  await seed(tenant, {
    direction: "inbound",
    status: "completed",
    startedAt: "2026-09-30T23:59:59Z",
    agentId: ana.userId,
  });
  await seed(tenant, { direction: "inbound", status: "busy", startedAt: "2026-10-03T00:00:00Z" });
  const simulated = await seed(tenant, { direction: "outbound", status: "canceled", startedAt: `${d2}T12:00:00Z` });
  await withDb((db) =>
    db.insert(callPlacements).values({
      callId: simulated.id,
      organizationId: tenant.organizationId,
      requestedByType: "user",
      requestedById: tenant.userId,
      simulated: true,
    }),
  );
  const other = await createTenant();
  await seed(other, { direction: "inbound", status: "busy", startedAt: `${d1}T10:00:00Z` });
  return { tenant, ana, sales, support };
}

const analytics = (token: string, query: string) => call(`/api/calls/analytics?${query}`, { token });

describe("GET /api/calls/analytics", () => {
  it("computes every figure over the range as defined", async () => {
    const { tenant } = await nineCalls();
    const res = await analytics(tenant.token, "from=2026-10-01&to=2026-10-02&groupBy=day");
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      from: "2026-10-01T00:00:00.000Z",
      to: "2026-10-03T00:00:00.000Z",
      groupBy: "day",
    });
    expect(res.body.totals).toEqual({
      calls: 9,
      byStatus: { ...zeroStatuses, completed: 6, "no-answer": 1, ringing: 1, busy: 1 },
      byDirection: { inbound: 6, outbound: 3 },
      answered: 4,
      missed: 4,
      abandoned: 1,
      answerRate: 0.5,
      abandonmentRate: 0.5,
      averageWaitSeconds: 45,
      averageTalkSeconds: 138.75,
      averageHandleSeconds: 146.25,
      aiAnalyzed: 2,
      aiSuccessful: 1,
      aiSuccessRate: 0.5,
    });
  });

  it("groups by day (UTC), by agent and by channel", async () => {
    const { tenant, ana, sales, support } = await nineCalls();
    const byDay = (await analytics(tenant.token, "from=2026-10-01&to=2026-10-02&groupBy=day")).body.groups;
    expect(byDay.map((g: { key: string }) => g.key)).toEqual(["2026-10-01", "2026-10-02"]);
    expect(byDay[0]).toMatchObject({
      calls: 5,
      answered: 2,
      missed: 3,
      answerRate: 0.4,
      abandoned: 1,
      abandonmentRate: 0.5,
      averageWaitSeconds: 45,
      averageTalkSeconds: 210,
      averageHandleSeconds: 225,
      aiSuccessRate: null,
    });
    expect(byDay[1]).toMatchObject({
      calls: 4,
      answered: 2,
      missed: 1,
      answerRate: 0.6667,
      abandonmentRate: null,
      averageWaitSeconds: null,
      averageTalkSeconds: 67.5,
      averageHandleSeconds: 67.5,
      aiAnalyzed: 2,
      aiSuccessRate: 0.5,
    });

    const byAgent = (await analytics(tenant.token, "from=2026-10-01&to=2026-10-02&groupBy=agent")).body.groups;
    const agent = (key: string | null) => byAgent.find((g: { key: string | null }) => g.key === key);
    expect(byAgent).toHaveLength(3);
    expect(byAgent[0]).toMatchObject({ key: null, label: null, calls: 5, answered: 0, missed: 4 });
    expect(agent(ana.userId)).toMatchObject({ label: "Ana", calls: 2, answered: 2, averageTalkSeconds: 210 });
    expect(agent("agent_sofia")).toMatchObject({ label: null, calls: 2, answered: 2, aiSuccessRate: 0.5 });

    const byChannel = (await analytics(tenant.token, "from=2026-10-01&to=2026-10-02&groupBy=channel")).body.groups;
    const channel = (key: string) => byChannel.find((g: { key: string }) => g.key === key);
    expect(channel(sales.channel.id)).toMatchObject({
      label: "twilio_voice channel",
      calls: 4,
      answered: 2,
      missed: 2,
    });
    expect(channel(support.channel.id)).toMatchObject({
      calls: 5,
      answered: 2,
      missed: 2,
      byDirection: { inbound: 3, outbound: 2 },
    });
  });

  it("answers zeros and nulls for a range without calls, and refuses an inverted or too long range", async () => {
    const tenant = await createTenant();
    const empty = await analytics(tenant.token, "from=2020-01-01&to=2020-01-31&groupBy=channel");
    expect(empty.status, empty.text).toBe(200);
    expect(empty.body.groups).toEqual([]);
    expect(empty.body.totals).toMatchObject({
      calls: 0,
      answerRate: null,
      averageTalkSeconds: null,
      aiSuccessRate: null,
    });
    const byDefault = await analytics(tenant.token, "");
    expect(byDefault.status).toBe(200);
    expect(new Date(byDefault.body.to).getTime() - new Date(byDefault.body.from).getTime()).toBe(30 * 86_400_000);
    for (const query of ["from=2026-10-02&to=2026-10-01", "from=2025-01-01&to=2026-10-01", "groupBy=week"]) {
      const res = await analytics(tenant.token, query);
      expect(res.status, `${query}: ${res.text}`).toBe(400);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
    }
  });
});
