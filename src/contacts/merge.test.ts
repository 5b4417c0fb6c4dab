import { and, eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLog, calls, contactIdentities, leads, messages, ticketHistory, tickets } from "@/db/schema";
import { createTenant } from "../../test/support/fixtures";
import { createMember, insertChannel, insertMessage, insertTicket, withDb } from "../../test/support/helpdesk";
import { call } from "../../test/support/http";

describe("contact merge", () => {
  it("moves everything of the duplicate to the primary in one go", async () => {
    const tenant = await createTenant();
    const org = tenant.organizationId;
    const primary = await call("/api/contacts", { token: tenant.token, json: { name: "Maria" } });
    const duplicate = await call("/api/contacts", {
      token: tenant.token,
      json: { name: "Maria S.", phone: "+5511912345678", email: "maria@example.com" },
    });
    expect(duplicate.status, duplicate.text).toBe(201);
    const optOut = await call(`/api/contacts/${duplicate.body.id}`, {
      method: "PATCH",
      token: tenant.token,
      json: { optOut: true, metadata: { crm: "D-1", plan: "old" } },
    });
    expect(optOut.status, optOut.text).toBe(200);
    await call(`/api/contacts/${primary.body.id}`, {
      method: "PATCH",
      token: tenant.token,
      json: { metadata: { plan: "new" } },
    });

    const rows = await withDb(async (db) => {
      const whatsapp = await insertChannel(db, org);
      const telegram = await insertChannel(db, org);
      const ticket = (contactId: string, channelId: string, status: "open" | "resolved" = "open") =>
        insertTicket(db, { organizationId: org, contactId, channelId, status });
      const live = await ticket(primary.body.id, whatsapp.id);
      const clash = await ticket(duplicate.body.id, whatsapp.id);
      const old = await ticket(duplicate.body.id, whatsapp.id, "resolved");
      const other = await ticket(duplicate.body.id, telegram.id);
      await insertMessage(db, live, "primary's message");
      const dupMessages = [
        await insertMessage(db, clash, "hello"),
        await insertMessage(db, clash, "anyone?"),
        await insertMessage(db, other, "on telegram"),
      ];
      await db.insert(contactIdentities).values({
        organizationId: org,
        contactId: duplicate.body.id,
        kind: "telegram",
        externalId: `tg-${clash.id}`,
      });
      await db.insert(calls).values({
        organizationId: org,
        contactId: duplicate.body.id,
        provider: "test",
        providerCallId: `call-${clash.id}`,
        direction: "inbound",
        status: "completed",
      });
      await db.insert(leads).values({ organizationId: org, contactId: duplicate.body.id, source: "ads" });
      return { live, clash, old, other, dupMessages };
    });

    const merged = await call(`/api/contacts/${primary.body.id}/merge`, {
      token: tenant.token,
      json: { duplicateId: duplicate.body.id },
    });
    expect(merged.status, merged.text).toBe(200);
    expect(merged.body).toMatchObject({
      moved: { tickets: 3, messages: 3, calls: 1, leads: 1, identities: 1 },
      resolvedTicketIds: [rows.clash.id],
      contact: {
        id: primary.body.id,
        name: "Maria",
        phone: "+5511912345678",
        email: "maria@example.com",
        optOut: true,
        optOutAt: optOut.body.optOutAt,
        metadata: { crm: "D-1", plan: "new" },
        mergedIntoId: null,
        identities: [{ kind: "telegram", externalId: `tg-${rows.clash.id}` }],
        ticketCounts: { total: 4, open: 2, pending: 0, resolved: 2, closed: 0 },
      },
    });

    const gone = await call(`/api/contacts/${duplicate.body.id}`, { token: tenant.token });
    expect(gone.status, gone.text).toBe(200);
    expect(gone.body).toMatchObject({ mergedIntoId: primary.body.id, phone: null, ticketCounts: { total: 0 } });
    const list = await call("/api/contacts?limit=100", { token: tenant.token });
    expect(list.body.data.map((c: { id: string }) => c.id)).toEqual([primary.body.id]);
    const byPhone = await call("/api/contacts?q=%2B5511912345678", { token: tenant.token });
    expect(byPhone.body.data.map((c: { id: string }) => c.id)).toEqual([primary.body.id]);

    await withDb(async (db) => {
      const ticketIds = [rows.live.id, rows.clash.id, rows.old.id, rows.other.id];
      const moved = await db
        .select({
          id: tickets.id,
          contactId: tickets.contactId,
          status: tickets.status,
          resolvedAt: tickets.resolvedAt,
        })
        .from(tickets)
        .where(inArray(tickets.id, ticketIds));
      expect(new Set(moved.map((t) => t.contactId))).toEqual(new Set([primary.body.id]));
      const clash = moved.find((t) => t.id === rows.clash.id);
      expect(clash?.status).toBe("resolved");
      expect(clash?.resolvedAt).toBeInstanceOf(Date);
      expect(moved.find((t) => t.id === rows.other.id)?.status).toBe("open");
      expect(moved.find((t) => t.id === rows.live.id)?.status).toBe("open");

      const msgs = await db
        .select({ contactId: messages.contactId })
        .from(messages)
        .where(inArray(messages.ticketId, ticketIds));
      expect(msgs).toHaveLength(4);
      expect(new Set(msgs.map((m) => m.contactId))).toEqual(new Set([primary.body.id]));

      const history = await db
        .select({ ticketId: ticketHistory.ticketId, action: ticketHistory.action, changes: ticketHistory.changes })
        .from(ticketHistory)
        .where(inArray(ticketHistory.ticketId, ticketIds));
      const label = {
        [rows.live.id]: "live",
        [rows.clash.id]: "clash",
        [rows.old.id]: "old",
        [rows.other.id]: "other",
      };
      const actions = history.map((h) => `${label[h.ticketId]}:${h.action}`);
      expect(actions.sort()).toEqual([
        "clash:contact_merged",
        "clash:resolved",
        "old:contact_merged",
        "other:contact_merged",
      ]);
      expect(history.find((h) => h.action === "contact_merged")?.changes).toEqual({
        contactId: { before: duplicate.body.id, after: primary.body.id },
      });

      for (const table of [calls, leads, contactIdentities]) {
        const left = await db.select().from(table).where(eq(table.contactId, duplicate.body.id));
        expect(left).toEqual([]);
      }
      const [entry] = await db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.organizationId, org), eq(auditLog.action, "contact.merged")));
      expect(entry).toMatchObject({ actorType: "user", actorId: tenant.userId, targetId: primary.body.id });
      expect(entry?.metadata).toMatchObject({ duplicateId: duplicate.body.id });
    });

    // The duplicate is a tombstone now: it cannot be merged or edited again, and its phone is taken.
    const twice = await call(`/api/contacts/${primary.body.id}/merge`, {
      token: tenant.token,
      json: { duplicateId: duplicate.body.id },
    });
    expect(twice.status, twice.text).toBe(409);
    expect(twice.body.detail).toContain("already merged");
    const edit = await call(`/api/contacts/${duplicate.body.id}`, {
      method: "PATCH",
      token: tenant.token,
      json: { name: "Z" },
    });
    expect(edit.status, edit.text).toBe(409);
    const reuse = await call("/api/contacts", { token: tenant.token, json: { phone: "+5511912345678" } });
    expect(reuse.status, reuse.text).toBe(409);
  });

  it("refuses to merge a contact with itself and leaves merging to admins and supervisors", async () => {
    const tenant = await createTenant();
    const a = await call("/api/contacts", { token: tenant.token, json: { name: "A" } });
    const b = await call("/api/contacts", { token: tenant.token, json: { name: "B" } });
    const self = await call(`/api/contacts/${a.body.id}/merge`, {
      token: tenant.token,
      json: { duplicateId: a.body.id },
    });
    expect(self.status, self.text).toBe(409);
    expect(self.body.detail).toContain("itself");

    const agent = await createMember(tenant, "agent");
    const denied = await call(`/api/contacts/${a.body.id}/merge`, {
      token: agent.token,
      json: { duplicateId: b.body.id },
    });
    expect(denied.status, denied.text).toBe(403);
    const missing = await call(`/api/contacts/${a.body.id}/merge`, {
      token: tenant.token,
      json: { duplicateId: crypto.randomUUID() },
    });
    expect(missing.status, missing.text).toBe(404);
    const invalid = await call(`/api/contacts/${a.body.id}/merge`, { token: tenant.token, json: { duplicateId: "x" } });
    expect(invalid.status, invalid.text).toBe(400);

    const supervisor = await createMember(tenant, "supervisor");
    const ok = await call(`/api/contacts/${a.body.id}/merge`, {
      token: supervisor.token,
      json: { duplicateId: b.body.id },
    });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.moved).toEqual({ tickets: 0, messages: 0, calls: 0, leads: 0, identities: 0, events: 0 });
    const onto = await call(`/api/contacts/${b.body.id}/merge`, {
      token: tenant.token,
      json: { duplicateId: a.body.id },
    });
    expect(onto.status, onto.text).toBe(409);
  });
});
