// GET /api/calls and GET /api/calls/{id}: filters, keyset pages, organizations kept apart (404),
// phone numbers masked in the list for agents, the whole call (transcript, analysis, recording,
// events) in the detail. Calls are seeded with upsertCall, as the provider webhooks store them.
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLog } from "@/db/schema";
import { type CallStatus, callerContact, recordCallEvent, upsertCall } from "@/voice/calls";
import { brMobile, twilioVoiceChannel } from "../support/calls";
import { withDb } from "../support/db";
import { createMember, createTenant, type Tenant, unique } from "../support/fixtures";
import { collectPages } from "../support/helpdesk";
import { call } from "../support/http";

type Seed = {
  provider?: string;
  direction?: "inbound" | "outbound";
  status?: CallStatus;
  startedAt?: Date;
  channelId?: string | null;
  agentId?: string | null;
  providerAgentId?: string | null;
  from?: string;
};

async function seedCall(tenant: Tenant, seed: Seed = {}) {
  return withDb(async (db) => {
    const from = seed.from ?? brMobile();
    return upsertCall(db, {
      organizationId: tenant.organizationId,
      provider: seed.provider ?? "twilio",
      providerCallId: unique("CA"),
      direction: seed.direction ?? "inbound",
      status: seed.status ?? "completed",
      startedAt: seed.startedAt ?? new Date(),
      channelId: seed.channelId ?? null,
      agentId: seed.agentId ?? null,
      providerAgentId: seed.providerAgentId ?? null,
      fromNumber: from,
      toNumber: "+14155550100",
      contactId: await callerContact(db, tenant.organizationId, from),
    });
  });
}

const ids = (res: { body: { data: { id: string }[] } }) => res.body.data.map((c) => c.id);

describe("GET /api/calls", () => {
  it("filters by status, direction, channel, provider, contact, agent and dates", async () => {
    const tenant = await createTenant();
    const agent = await createMember(tenant, "agent");
    const { channel } = await twilioVoiceChannel(tenant.token);
    const customer = brMobile();
    const a = await seedCall(tenant, {
      status: "no-answer",
      startedAt: new Date("2026-11-02T10:00:00Z"),
      from: customer,
    });
    const b = await seedCall(tenant, {
      direction: "outbound",
      status: "completed",
      channelId: channel.id,
      agentId: agent.userId,
      startedAt: new Date("2026-11-03T23:59:59Z"),
    });
    const c = await seedCall(tenant, {
      provider: "retell",
      providerAgentId: "agent_sofia",
      startedAt: new Date("2026-11-04T00:00:00Z"),
      from: customer,
    });
    const q = (query: string) => call(`/api/calls?${query}`, { token: tenant.token });
    expect(ids(await q(""))).toEqual([c.id, b.id, a.id]);
    expect(ids(await q("status=no-answer"))).toEqual([a.id]);
    expect(ids(await q("direction=outbound"))).toEqual([b.id]);
    expect(ids(await q(`channelId=${channel.id}`))).toEqual([b.id]);
    expect(ids(await q("provider=retell"))).toEqual([c.id]);
    expect(ids(await q(`contactId=${a.contactId}`))).toEqual([c.id, a.id]);
    expect(ids(await q(`agentId=${agent.userId}`))).toEqual([b.id]);
    expect(ids(await q("agentId=agent_sofia"))).toEqual([c.id]);
    // A bare date `to` includes its day; an instant is exclusive.
    expect(ids(await q("from=2026-11-03&to=2026-11-03"))).toEqual([b.id]);
    expect(ids(await q("to=2026-11-04T00:00:00Z"))).toEqual([b.id, a.id]);
    expect(ids(await q("from=2026-11-04T00:00:00Z"))).toEqual([c.id]);
    const bad = await q("status=ringing-ish");
    expect(bad.status, bad.text).toBe(400);
  });

  it("pages with a cursor: every call once, newest first", async () => {
    const tenant = await createTenant();
    const seeded: string[] = [];
    for (let i = 0; i < 7; i++) seeded.push((await seedCall(tenant)).id);
    const { ids: paged, pages } = await collectPages("/api/calls", tenant.token, 3);
    expect(pages).toBe(3);
    expect(paged).toEqual([...seeded].reverse());
    const bad = await call("/api/calls?cursor=not-a-cursor", { token: tenant.token });
    expect(bad.status).toBe(400);
  });

  it("masks phone numbers in the list unless an admin or supervisor reveals them (audited)", async () => {
    const tenant = await createTenant();
    const agent = await createMember(tenant, "agent");
    const supervisor = await createMember(tenant, "supervisor");
    const from = "+5511987654321";
    await seedCall(tenant, { from });
    for (const token of [agent.token, supervisor.token, tenant.token]) {
      const masked = (await call("/api/calls", { token })).body.data[0];
      expect(masked).toMatchObject({ fromNumber: "+55*******4321", toNumber: "+14*****0100" });
      expect(masked.contact.phone).toBe("+55*******4321");
      expect(JSON.stringify(masked)).not.toContain("987654321");
    }
    const revealed = await call("/api/calls?reveal=true&status=completed", { token: supervisor.token });
    expect(revealed.body.data[0]).toMatchObject({ fromNumber: from, contact: { phone: from } });
    expect((await call("/api/calls?reveal=true", { token: agent.token })).status).toBe(403);
    const [entry] = await withDb((db) =>
      db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.organizationId, tenant.organizationId), eq(auditLog.action, "pii.revealed"))),
    );
    expect(entry).toMatchObject({ actorId: supervisor.userId, targetId: "calls" });
  });

  it("shows one call in full to admins, supervisors and its agent, masked to other agents", async () => {
    const tenant = await createTenant();
    const ana = await createMember(tenant, "agent", "Ana");
    const bia = await createMember(tenant, "agent", "Bia");
    const from = "+5511987654321";
    const seeded = await seedCall(tenant, { from, agentId: ana.userId });
    const detail = async (token: string) => (await call(`/api/calls/${seeded.id}`, { token })).body;
    expect((await detail(ana.token)).fromNumber).toBe(from);
    expect((await detail(tenant.token)).fromNumber).toBe(from);
    expect(await detail(bia.token)).toMatchObject({
      fromNumber: "+55*******4321",
      contact: { phone: "+55*******4321" },
    });
  });

  it("keeps organizations apart: another organization's calls are neither listed nor readable (404)", async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const mine = await seedCall(tenant);
    const theirs = await seedCall(other);
    expect(ids(await call("/api/calls", { token: tenant.token }))).toEqual([mine.id]);
    const res = await call(`/api/calls/${theirs.id}`, { token: tenant.token });
    expect(res.status, res.text).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect((await call(`/api/calls?contactId=${theirs.contactId}`, { token: tenant.token })).body.data).toEqual([]);
    expect((await call("/api/calls")).status).toBe(401);
  });
});

/** What a voice agent's analysis stores on a call, and what the detail must show of it. */
const spoken = {
  transcript: "Agent: Olá!\nUser: Quero um orçamento.",
  transcriptTurns: [
    { role: "agent", text: "Olá!" },
    { role: "user", text: "Quero um orçamento." },
  ],
  summary: "Cliente pediu orçamento.",
  sentiment: "Positive",
  successful: true,
};

describe("GET /api/calls/{id}", () => {
  it("shows the transcript, analysis, recording and the call's events in order", async () => {
    const tenant = await createTenant();
    const seeded = await seedCall(tenant, { provider: "retell", providerAgentId: "agent_sofia" });
    await withDb(async (db) => {
      await upsertCall(db, {
        organizationId: tenant.organizationId,
        provider: "retell",
        providerCallId: seeded.providerCallId,
        direction: "inbound",
        status: "completed",
        ...spoken,
        analysis: { call_successful: true, custom_analysis_data: { product: "fibra" } },
        recordingUrl: "https://example.com/rec.wav",
        recordingDurationSeconds: 61,
        recordingChannels: 2,
        durationSeconds: 62,
      });
      // Recorded out of order: the detail lists them as they happened.
      for (const [event, offset] of [
        ["call_ended", 1000],
        ["call_started", 0],
      ] as const) {
        await recordCallEvent(db, {
          organizationId: tenant.organizationId,
          callId: seeded.id,
          kind: `retell.${event}`,
          key: event,
          payload: { event },
          occurredAt: new Date(Date.now() + offset),
        });
      }
    });
    const res = await call(`/api/calls/${seeded.id}`, { token: tenant.token });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      id: seeded.id,
      provider: "retell",
      providerCallId: seeded.providerCallId,
      status: "completed",
      ...spoken,
      analysis: { custom_analysis_data: { product: "fibra" } },
      recording: { url: "https://example.com/rec.wav", durationSeconds: 61, channels: 2 },
      durationSeconds: 62,
      placement: null,
      simulated: false,
    });
    expect(res.body.events.map((e: { kind: string }) => e.kind)).toEqual(["retell.call_started", "retell.call_ended"]);
  });
});
