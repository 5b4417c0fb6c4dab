// GET /api/contacts/{id}/timeline: a contact's messages (any ticket, any channel), calls and the
// events external systems sent about it through custom webhooks in one list, newest first, each
// typed; keyset pages that neither skip nor repeat (rows within one millisecond, and ties across
// kinds, included); other contacts and organizations left out.
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { interactionEvents, messages } from "@/db/schema";
import { callerContact, upsertCall } from "@/voice/calls";
import { customHook } from "../support/custom-webhooks";
import { withDb } from "../support/db";
import { createMember, createTenant, type Tenant, unique } from "../support/fixtures";
import { insertChannel, insertTicket } from "../support/helpdesk";
import { call, type TestResponse } from "../support/http";

const PHONE = "+5511987654321";

/** A contact with a ticket, and writers of its messages and calls at chosen instants (SQL literals, to the microsecond). */
async function contactWithHistory(tenant: Tenant, phone = PHONE) {
  return withDb(async (db) => {
    const contactId = (await callerContact(db, tenant.organizationId, phone)) as string;
    const channel = await insertChannel(db, tenant.organizationId);
    const ticket = await insertTicket(db, { organizationId: tenant.organizationId, contactId, channelId: channel.id });
    const message = async (at: string, body: string, direction: "inbound" | "outbound" = "inbound") => {
      const [row] = await db
        .insert(messages)
        .values({
          organizationId: tenant.organizationId,
          ticketId: ticket.id,
          channelId: channel.id,
          contactId,
          direction,
          type: "text",
          body,
          status: direction === "inbound" ? "received" : "sent",
          senderType: direction === "inbound" ? "contact" : "user",
          createdAt: sql`${at}::timestamptz`,
        })
        .returning();
      return row?.id as string;
    };
    const callAt = async (at: string, status: "completed" | "no-answer" = "completed") =>
      (
        await upsertCall(db, {
          organizationId: tenant.organizationId,
          provider: "twilio",
          providerCallId: unique("CA"),
          direction: "inbound",
          status,
          startedAt: new Date(at),
          fromNumber: phone,
          contactId,
        })
      ).id;
    /** A custom webhook's event about the contact, received at `at` (as the webhook stores it). */
    const event = async (at: string, name: string) => {
      const [row] = await db
        .insert(interactionEvents)
        .values({
          organizationId: tenant.organizationId,
          contactId,
          provider: "custom",
          eventType: "custom.received",
          idempotencyKey: unique("evt"),
          payload: { event: name },
          normalized: { hookId: null, hookName: "CRM", event: name },
          receivedAt: sql`${at}::timestamptz`,
        })
        .returning();
      return row?.id as string;
    };
    return { contactId, message, call: callAt, event };
  });
}

describe("GET /api/contacts/{id}/timeline", () => {
  it("lists messages and calls together, newest first, each typed", async () => {
    const tenant = await createTenant();
    const h = await contactWithHistory(tenant);
    const c1 = await h.call("2026-11-01T09:00:00Z", "no-answer");
    const m1 = await h.message("2026-11-01T09:05:00Z", "Vocês me ligaram?");
    const m2 = await h.message("2026-11-01T09:06:00Z", "Sim! Podemos falar agora?", "outbound");
    const c2 = await h.call("2026-11-01T09:10:00Z");
    const res = await call(`/api/contacts/${h.contactId}/timeline`, { token: tenant.token });
    expect(res.status, res.text).toBe(200);
    expect(res.body.data.map((i: { type: string; id: string }) => [i.type, i.id])).toEqual([
      ["call", c2],
      ["message", m2],
      ["message", m1],
      ["call", c1],
    ]);
    expect(res.body.data[0]).toMatchObject({ at: "2026-11-01T09:10:00.000Z", call: { id: c2, status: "completed" } });
    expect(res.body.data[1]).toMatchObject({
      at: "2026-11-01T09:06:00.000Z",
      message: { id: m2, direction: "outbound", text: "Sim! Podemos falar agora?" },
    });
    expect(res.body.nextCursor).toBeNull();
  });

  it("pages without skipping or repeating, also across items in the same millisecond", async () => {
    const tenant = await createTenant();
    const h = await contactWithHistory(tenant);
    const expected = [
      await h.message("2026-11-02T10:00:00.000100Z", "a"),
      await h.call("2026-11-02T10:00:00.000Z"),
      await h.message("2026-11-02T10:00:00.000500Z", "b"),
      await h.message("2026-11-02T10:00:00.000900Z", "c"),
      await h.call("2026-11-02T10:00:01Z"),
      await h.call("2026-11-02T10:00:01Z"),
      await h.message("2026-11-02T10:00:02Z", "d"),
      await h.event("2026-11-02T10:00:00.000300Z", "e"),
      // The same instant as two calls and a message: ids of three tables break the tie.
      await h.event("2026-11-02T10:00:01Z", "f"),
      await h.message("2026-11-02T10:00:01Z", "g"),
      await h.event("2026-11-02T10:00:03Z", "h"),
    ] as string[];
    // Newest first; at one instant the later id first (UUIDv7s, made in this order): here the
    // message, the event, then the two calls at 10:00:01.
    const newestFirst = [10, 6, 9, 8, 5, 4, 3, 2, 7, 0, 1].map((i) => expected[i]);
    for (const limit of [1, 2, 3, 5]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: TestResponse<{ data: { id: string }[]; nextCursor: string | null }> = await call(
          `/api/contacts/${h.contactId}/timeline?limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`,
          { token: tenant.token },
        );
        expect(res.status, res.text).toBe(200);
        expect(res.body.data.length).toBeLessThanOrEqual(limit);
        seen.push(...res.body.data.map((i) => i.id));
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(seen, `limit ${limit}`).toEqual(newestFirst);
    }
    const bad = await call(`/api/contacts/${h.contactId}/timeline?cursor=eyJhdCI6IngiLCJpZCI6InkifQ`, {
      token: tenant.token,
    });
    expect(bad.status, bad.text).toBe(400);
  });

  it("shows only this contact's items, masked unless revealed, and answers 404 for another organization's contact", async () => {
    const tenant = await createTenant();
    const agent = await createMember(tenant, "agent");
    const mine = await contactWithHistory(tenant);
    const neighbour = await contactWithHistory(tenant, "+5511912345678");
    const myCall = await mine.call("2026-11-03T08:00:00Z");
    await neighbour.call("2026-11-03T08:01:00Z");
    await neighbour.message("2026-11-03T08:02:00Z", "outra pessoa");
    const asAgent = await call(`/api/contacts/${mine.contactId}/timeline`, { token: agent.token });
    expect(asAgent.body.data.map((i: { id: string }) => i.id)).toEqual([myCall]);
    expect(asAgent.body.data[0].call.fromNumber).toBe("+55*******4321");
    const asAdmin = await call(`/api/contacts/${mine.contactId}/timeline`, { token: tenant.token });
    expect(asAdmin.body.data[0].call.fromNumber).toBe("+55*******4321");
    const revealed = await call(`/api/contacts/${mine.contactId}/timeline?reveal=true`, { token: tenant.token });
    expect(revealed.body.data[0].call.fromNumber).toBe(PHONE);

    const other = await createTenant();
    const res = await call(`/api/contacts/${mine.contactId}/timeline`, { token: other.token });
    expect(res.status, res.text).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
  });
});

describe("GET /api/contacts/{id}/timeline with custom webhook events", () => {
  it("shows an event a CRM sent about the contact's phone as an `event` item, body masked unless revealed", async () => {
    const tenant = await createTenant();
    const agent = await createMember(tenant, "agent");
    const h = await contactWithHistory(tenant);
    const m1 = await h.message("2026-11-04T09:00:00Z", "Quero renegociar");
    const crm = await customHook(tenant, "CRM Vendas");
    const sent = await crm.post({ id: "deal-77", event: "deal.won", phone: "11 98765-4321", data: { value: 1250 } });
    expect(sent.body.status, sent.text).toBe("stored");
    // Another contact's event stays out.
    await crm.post({ id: "deal-78", event: "deal.won", phone: "+5511912345678" });

    const res = await call(`/api/contacts/${h.contactId}/timeline`, { token: agent.token });
    expect(res.status, res.text).toBe(200);
    expect(res.body.data.map((i: { type: string; id: string }) => [i.type, i.id])).toEqual([
      ["event", sent.body.id],
      ["message", m1],
    ]);
    const item = res.body.data[0];
    expect(item).toEqual({
      type: "event",
      id: sent.body.id,
      at: expect.any(String),
      event: {
        id: sent.body.id,
        name: "deal.won",
        hookId: crm.hook.id,
        hookName: "CRM Vendas",
        receivedAt: item.at,
        payload: {
          id: "deal-77",
          event: "deal.won",
          phone: expect.not.stringContaining("98765"),
          data: { value: 1250 },
        },
      },
    });
    const revealed = await call(`/api/contacts/${h.contactId}/timeline?reveal=true`, { token: tenant.token });
    expect(revealed.body.data[0].event.payload.phone).toBe("11 98765-4321");
  });
});
