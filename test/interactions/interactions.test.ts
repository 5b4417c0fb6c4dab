// GET /api/interactions: one timeline of an organization's messages (both ways), calls and custom
// webhook events, with filters, keyset pages and masked phones; the detail carries the raw events.
import { describe, expect, it } from "vitest";
import { callerContact, recordCallEvent, upsertCall } from "@/voice/calls";
import { customHook } from "../support/custom-webhooks";
import { withDb } from "../support/db";
import { type Driver, drivers } from "../support/env";
import { createMember, createTenant, unique } from "../support/fixtures";
import { call, type TestResponse } from "../support/http";
import { metaMessagePayload, metaStatusPayload, postMeta } from "../support/meta";
import { conversation } from "../support/scenario";

type Item = { id: string; type: string; direction: string; occurredAt: string; contact: { id: string; phone: string } };

const MARIA = "+5511987654321";
const RUI = "+5511955550000";

/**
 * Maria writes, Rui writes, the team answers Maria (delivered), then Maria calls. Calls arrive
 * through the voice slice's webhooks; here the call is written by the same service they use.
 */
async function timeline() {
  const convo = await conversation();
  const { tenant, channel, config, phoneNumberId, ticket } = convo;
  const rui = await postMeta(
    channel.id,
    config.appSecret,
    metaMessagePayload(phoneNumberId, { type: "text", text: { body: "Boa tarde" }, from: RUI.slice(1) }, "Rui"),
  );
  expect(rui.status, rui.text).toBe(200);
  const reply = await call(`/api/tickets/${ticket.id}/messages`, {
    token: tenant.token,
    json: { type: "text", text: "Olá Maria" },
  });
  expect(reply.status, reply.text).toBe(202);
  const messages = await call(`/api/tickets/${ticket.id}/messages`, { token: tenant.token });
  const sent = messages.body.data.find((m: { id: string }) => m.id === reply.body.id);
  expect(sent?.providerMessageId, messages.text).toEqual(expect.any(String));
  const delivered = await postMeta(
    channel.id,
    config.appSecret,
    metaStatusPayload(phoneNumberId, sent.providerMessageId, "delivered"),
  );
  expect(delivered.status, delivered.text).toBe(200);
  const sid = unique("CA");
  const phoneCall = await withDb(async (db) => {
    const contactId = await callerContact(db, tenant.organizationId, MARIA);
    const row = await upsertCall(db, {
      organizationId: tenant.organizationId,
      provider: "twilio",
      providerCallId: sid,
      direction: "inbound",
      status: "completed",
      fromNumber: MARIA,
      toNumber: "+551140041234",
      contactId,
      durationSeconds: 42,
    });
    for (const [key, status] of [
      ["1", "ringing"],
      ["2", "completed"],
    ] as const) {
      await recordCallEvent(db, {
        organizationId: tenant.organizationId,
        callId: row.id,
        kind: `status.${status}`,
        key,
        payload: { CallSid: sid, From: MARIA, To: "+551140041234", CallStatus: status },
      });
    }
    return row;
  });
  return { ...convo, replyId: reply.body.id as string, callId: phoneCall.id, sid };
}

async function list(token: string, query = "", driver: Driver = "pg"): Promise<Item[]> {
  const res = await call(`/api/interactions?limit=100${query}`, { token, driver });
  expect(res.status, res.text).toBe(200);
  expect(res.body.nextCursor).toBeNull();
  return res.body.data;
}

describe.each(drivers)("GET /api/interactions (%s driver)", (driver) => {
  it("lists every message, both ways, and every call, newest first, with phones masked", async () => {
    const w = await timeline();
    const items = await list(w.tenant.token, "", driver);
    expect(items.map((i) => [i.type, i.direction])).toEqual([
      ["call", "inbound"],
      ["message", "outbound"],
      ["message", "inbound"],
      ["message", "inbound"],
    ]);
    expect(items[0]).toMatchObject({
      id: w.callId,
      status: "completed",
      fromNumber: "+55*******4321",
      toNumber: "+55******1234",
      durationSeconds: 42,
      contact: { phone: "+55*******4321" },
    });
    expect(items[1]).toMatchObject({ id: w.replyId, messageType: "text", status: "delivered" });
    expect(items.map((i) => i.contact.phone)).toEqual([
      "+55*******4321",
      "+55*******4321",
      "+55*******0000",
      "+55*******4321",
    ]);
    const text = JSON.stringify(items);
    for (const phone of [MARIA, RUI, "5511987654321"]) expect(text).not.toContain(phone);
    expect(text).not.toContain("Olá Maria");

    const revealed = await list(w.tenant.token, "&reveal=true", driver);
    expect(revealed[0]).toMatchObject({ fromNumber: MARIA, contact: { phone: MARIA } });
  });

  it("pages with a cursor through every interaction once", async () => {
    const w = await timeline();
    const all = (await list(w.tenant.token, "", driver)).map((i) => i.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: TestResponse<{ data: Item[]; nextCursor: string | null }> = await call(
        `/api/interactions?limit=1${cursor ? `&cursor=${cursor}` : ""}`,
        { token: w.tenant.token, driver },
      );
      expect(res.status, res.text).toBe(200);
      seen.push(...res.body.data.map((i) => i.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all);
    expect((await call("/api/interactions?cursor=bogus", { token: w.tenant.token, driver })).status).toBe(400);
  });
});

describe("GET /api/interactions filters", () => {
  it("narrows by type, channel, direction, contact and date, alone and combined", async () => {
    const w = await timeline();
    const token = w.tenant.token;
    const all = await list(token);
    const [phoneCall, reply, rui, maria] = all as [Item, Item, Item, Item];
    const ids = async (query: string) => (await list(token, `&${query}`)).map((i) => i.id);
    expect(await ids("type=call")).toEqual([phoneCall.id]);
    expect(await ids("type=message")).toEqual([reply.id, rui.id, maria.id]);
    expect(await ids("direction=outbound")).toEqual([reply.id]);
    expect(await ids("direction=inbound")).toEqual([phoneCall.id, rui.id, maria.id]);
    expect(await ids(`channelId=${w.channel.id}`)).toEqual([reply.id, rui.id, maria.id]);
    expect(await ids(`contactId=${maria.contact.id}`)).toEqual([phoneCall.id, reply.id, maria.id]);
    expect(await ids(`contactId=${rui.contact.id}&direction=outbound`)).toEqual([]);
    expect(await ids(`from=${encodeURIComponent(reply.occurredAt)}`)).toEqual([phoneCall.id, reply.id]);
    // Maria wrote first (in the same second at the latest): up to Rui's message holds both.
    expect(await ids(`to=${encodeURIComponent(rui.occurredAt)}`)).toEqual([rui.id, maria.id]);
    expect(await ids(`channelId=${crypto.randomUUID()}`)).toEqual([]);
    const invalid = await call("/api/interactions?type=fax&direction=sideways", { token });
    expect(invalid.status, invalid.text).toBe(400);
  });
});

describe("GET /api/interactions/{id}", () => {
  it("shows a message with the inbound event and the delivery statuses its provider sent, raw", async () => {
    const w = await timeline();
    const [, reply, , maria] = await list(w.tenant.token);
    const inbound = await call(`/api/interactions/${maria?.id}`, { token: w.tenant.token });
    expect(inbound.status, inbound.text).toBe(200);
    expect(inbound.body).toMatchObject({
      type: "message",
      direction: "inbound",
      text: "Oi!",
      contact: { phone: MARIA },
    });
    expect(inbound.body.events).toHaveLength(1);
    const [event] = inbound.body.events;
    expect(event).toMatchObject({ source: "interaction_event", kind: "message.text" });
    expect(event.payload.entry[0].changes[0].value.messages[0]).toMatchObject({ from: "5511987654321" });

    const outbound = await call(`/api/interactions/${reply?.id}`, { token: w.tenant.token });
    expect(outbound.body).toMatchObject({ type: "message", direction: "outbound", text: "Olá Maria" });
    expect(outbound.body.events.map((e: { kind: string }) => e.kind)).toEqual(["status.delivered"]);
    expect(outbound.body.events[0].payload.entry[0].changes[0].value.statuses[0].id).toBe(outbound.body.providerId);
  });

  it("shows a call with every provider callback, raw", async () => {
    const w = await timeline();
    const res = await call(`/api/interactions/${w.callId}`, { token: w.tenant.token });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ type: "call", providerId: w.sid, fromNumber: MARIA, durationSeconds: 42 });
    expect(res.body.events.map((e: { source: string; kind: string }) => [e.source, e.kind])).toEqual([
      ["call_event", "status.ringing"],
      ["call_event", "status.completed"],
    ]);
    expect(res.body.events[1].payload).toEqual({
      CallSid: w.sid,
      From: MARIA,
      To: "+551140041234",
      CallStatus: "completed",
    });
  });

  it("masks phones in the raw events for an agent the contact is not assigned to", async () => {
    const w = await timeline();
    const assigned = await createMember(w.tenant, "agent");
    const other = await createMember(w.tenant, "agent");
    await call(`/api/tickets/${w.ticket.id}/assign`, { token: w.tenant.token, json: { assigneeId: assigned.userId } });
    const [, , , maria] = await list(w.tenant.token);
    for (const id of [maria?.id, w.callId]) {
      const masked = await call(`/api/interactions/${id}`, { token: other.token });
      expect(masked.status, masked.text).toBe(200);
      expect(masked.text).not.toContain("5511987654321");
      expect(masked.text).toContain("55*******4321");
      const full = await call(`/api/interactions/${id}`, { token: assigned.token });
      expect(full.text).toContain("5511987654321");
    }
  });

  it("keeps one organization's interactions from another (404, never listed)", async () => {
    const w = await timeline();
    const other = await createTenant();
    expect(await list(other.token)).toEqual([]);
    for (const id of [w.callId, w.replyId, crypto.randomUUID()]) {
      const res = await call(`/api/interactions/${id}`, { token: other.token });
      expect(res.status, res.text).toBe(404);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
    }
    expect(await list(other.token, `&contactId=${(await list(w.tenant.token))[0]?.contact.id}`)).toEqual([]);
  });
});

describe("GET /api/interactions with custom webhook events", () => {
  it("lists a CRM's events as type event in the same order and pages, filters them like the rest, and shows the body on the detail", async () => {
    const w = await timeline();
    const token = w.tenant.token;
    const crm = await customHook(w.tenant, "CRM");
    const aboutMaria = await crm.post({ id: "deal-1", event: "deal.won", phone: MARIA, note: `ligar para ${MARIA}` });
    const anonymous = await crm.post({ id: "sync-2", type: "sync.finished" });
    expect([aboutMaria.body.status, anonymous.body.status], anonymous.text).toEqual(["stored", "stored"]);

    const all = await list(token);
    expect(all.map((i) => i.type)).toEqual(["event", "event", "call", "message", "message", "message"]);
    expect(all.slice(0, 2).map((i) => i.id)).toEqual([anonymous.body.id, aboutMaria.body.id]);
    expect(all[1]).toMatchObject({
      type: "event",
      direction: "inbound",
      status: "received",
      channelId: null,
      contact: { phone: "+55*******4321" },
      event: { name: "deal.won", hookId: crm.hook.id, hookName: "CRM" },
    });
    expect(all[0]).toMatchObject({ contact: null, event: { name: "sync.finished" } });

    const ids = async (query: string) => (await list(token, `&${query}`)).map((i) => i.id);
    const maria = all.find(
      (i) => i.type === "message" && i.direction === "inbound" && i.contact.phone.endsWith("4321"),
    );
    expect(await ids("type=event")).toEqual([anonymous.body.id, aboutMaria.body.id]);
    expect(await ids(`contactId=${maria?.contact.id}&type=event`)).toEqual([aboutMaria.body.id]);
    expect(await ids("direction=outbound")).not.toContain(aboutMaria.body.id);
    expect(await ids(`channelId=${w.channel.id}`)).not.toContain(aboutMaria.body.id);
    expect(await ids(`from=${encodeURIComponent(all[1]?.occurredAt ?? "")}&type=event`)).toEqual([
      anonymous.body.id,
      aboutMaria.body.id,
    ]);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: TestResponse<{ data: Item[]; nextCursor: string | null }> = await call(
        `/api/interactions?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
        { token },
      );
      seen.push(...res.body.data.map((i) => i.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.map((i) => i.id));

    const detail = await call(`/api/interactions/${aboutMaria.body.id}`, { token });
    expect(detail.status, detail.text).toBe(200);
    expect(detail.body).toMatchObject({
      type: "event",
      providerId: "deal-1",
      content: { id: "deal-1", event: "deal.won", phone: MARIA },
      contact: { phone: MARIA },
      events: [{ source: "interaction_event", kind: "custom.received", payload: { phone: MARIA } }],
    });
    const agent = await createMember(w.tenant, "agent");
    const masked = await call(`/api/interactions/${aboutMaria.body.id}`, { token: agent.token });
    expect(JSON.stringify(masked.body)).not.toContain("987654321");
    const stranger = await createTenant();
    expect((await call(`/api/interactions/${aboutMaria.body.id}`, { token: stranger.token })).status).toBe(404);
  });
});
