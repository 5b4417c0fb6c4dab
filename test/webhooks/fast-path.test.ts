// The single-statement path for messages on open tickets must store exactly what the
// transactional path stores; it and the new-conversation statement find rows by key.
import { and, eq, type SQL, sql } from "drizzle-orm";
import { v7 as uuidv7 } from "uuid";
import { describe, expect, inject, it } from "vitest";
import { contacts, interactionEvents, messages, tickets } from "@/db/schema";
import { openTicketStatement } from "@/inbox/fast-path";
import { newConversationStatement } from "@/inbox/new-conversation";
import { cachedPolicy } from "@/sla/policy";
import { withDb } from "../support/db";
import { metaMessagePayload, postMeta, wamid } from "../support/meta";
import { conversation } from "../support/scenario";

describe("inbound message on an open ticket", () => {
  it("stores the same rows as the first message did, and updates ticket and contact", async () => {
    const { channel, config, phoneNumberId, ticket } = await conversation();
    const id = wamid();
    const at = Math.floor(Date.now() / 1000) + 5;
    const payload = metaMessagePayload(
      phoneNumberId,
      {
        id,
        type: "image",
        timestamp: String(at),
        image: { id: "media-1", mime_type: "image/jpeg", caption: "comprovante" },
      },
      "Maria Silva",
    );
    const res = await postMeta(channel.id, config.appSecret, payload);
    expect(res.body).toMatchObject({ messages: 1, duplicates: 0 });

    const state = await withDb(async (db) => {
      const [message] = await db.select().from(messages).where(eq(messages.providerMessageId, id));
      const [event] = await db
        .select()
        .from(interactionEvents)
        .where(and(eq(interactionEvents.provider, "meta"), eq(interactionEvents.idempotencyKey, id)));
      const [t] = await db.select().from(tickets).where(eq(tickets.id, ticket.id));
      const [contact] = await db
        .select()
        .from(contacts)
        .where(eq(contacts.id, t?.contactId as string));
      return { message, event, t, contact };
    });
    expect(state.message).toMatchObject({
      ticketId: ticket.id,
      direction: "inbound",
      type: "image",
      body: "comprovante",
      media: { providerMediaId: "media-1", mimeType: "image/jpeg", caption: "comprovante" },
      status: "received",
      senderType: "contact",
      organizationId: state.t?.organizationId,
      contactId: state.t?.contactId,
    });
    expect(state.message?.createdAt.getTime()).toBe(at * 1000);
    expect(state.event).toMatchObject({
      eventType: "message.image",
      normalized: { type: "image", providerMessageId: id },
    });
    expect(state.event?.processedAt).not.toBeNull();
    expect(state.event?.payload).toMatchObject({ object: "whatsapp_business_account" });
    expect(state.t).toMatchObject({ unreadCount: 2 });
    expect(state.t?.lastMessageAt?.getTime()).toBe(at * 1000);
    expect(state.t?.lastInboundAt?.getTime()).toBe(at * 1000);
    // The profile name only fills a contact that has none: the first message named Maria already.
    expect(state.contact).toMatchObject({ name: "Maria Cliente" });
    expect(state.contact?.lastInboundAt?.getTime()).toBe(at * 1000);
  });

  it("stores ten concurrent deliveries of one follow-up message once", async () => {
    const { channel, config, phoneNumberId, ticket } = await conversation();
    const payload = metaMessagePayload(phoneNumberId, { type: "text", text: { body: "de novo" } });
    const results = await Promise.all(
      Array.from({ length: 10 }, () => postMeta(channel.id, config.appSecret, payload)),
    );
    expect(results.reduce((n, r) => n + r.body.messages, 0)).toBe(1);
    expect(results.reduce((n, r) => n + r.body.duplicates, 0)).toBe(9);
    const rows = await withDb((db) => db.select().from(messages).where(eq(messages.ticketId, ticket.id)));
    expect(rows).toHaveLength(2);
    const [t] = await withDb((db) => db.select().from(tickets).where(eq(tickets.id, ticket.id)));
    expect(t?.unreadCount).toBe(2);
  });

  // Locks are sessions' business: PGlite serves every connection from one session, so only a server shows this.
  it.runIf(inject("databaseKind") === "postgres")(
    "takes the contact's lock before the ticket's, as the transactional path does (no deadlock)",
    async () => {
      const { channel, config, phoneNumberId, ticket } = await conversation();
      const contactId = ticket.contact.id;
      // A transaction holding the contact, as the transactional path's upsert does, then reaching
      // for the ticket while the webhook's statement waits. Locking the ticket first, that
      // statement held it while it waited for the contact: PostgreSQL found the cycle after its
      // deadlock_timeout (1 s) and aborted one side, the webhook's 500 in a CI run.
      const other = withDb((db) =>
        db.transaction(async (tx) => {
          await tx.select({ id: contacts.id }).from(contacts).where(eq(contacts.id, contactId)).for("update");
          const posted = postMeta(
            channel.id,
            config.appSecret,
            metaMessagePayload(phoneNumberId, { id: wamid(), type: "text", text: { body: "ainda aí?" } }),
          );
          await waitForLockWaiter();
          await tx.select({ id: tickets.id }).from(tickets).where(eq(tickets.id, ticket.id)).for("update");
          // Wrapped, so the transaction commits without waiting for the webhook that waits for it.
          return { posted };
        }),
      );
      const res = await (await other).posted;
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ messages: 1 });
      const [t] = await withDb((db) => db.select().from(tickets).where(eq(tickets.id, ticket.id)));
      expect(t?.unreadCount).toBe(2);
    },
  );
});

/** Until some statement of this database waits on a row lock (the webhook's, blocked by the test). */
async function waitForLockWaiter() {
  for (let i = 0; i < 200; i++) {
    const { rows } = await withDb((db) =>
      db.execute<{ n: number }>(sql`select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock' and query like '%open_ticket%'`),
    );
    if ((rows[0]?.n ?? 0) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("the webhook's statement never waited for the contact's lock");
}

type PlanNode = { "Relation Name"?: string; "Actual Rows": number; "Actual Loops": number; Plans?: PlanNode[] };

/**
 * The most rows any step of the statement's plan yields, per table it reads or writes, from
 * `EXPLAIN ANALYZE` (which runs it: the transaction is rolled back).
 */
async function rowsPerTable(statement: SQL): Promise<Record<string, number>> {
  const read = new Map<string, number>();
  const walk = (node: PlanNode) => {
    const relation = node["Relation Name"];
    const rows = node["Actual Rows"] * node["Actual Loops"];
    if (relation) read.set(relation, Math.max(read.get(relation) ?? 0, rows));
    for (const child of node.Plans ?? []) walk(child);
  };
  const rolledBack = new Error("rolled back");
  await withDb((db) =>
    db.transaction(async (tx) => {
      const { rows } = await tx.execute<{ "QUERY PLAN": [{ Plan: PlanNode }] }>(
        sql`explain (analyze, format json) ${statement}`,
      );
      const [plan] = rows[0]?.["QUERY PLAN"] ?? [];
      if (plan) walk(plan.Plan);
      throw rolledBack;
    }),
  ).catch((error) => {
    if (error !== rolledBack) throw error;
  });
  expect(read.size, "no plan read").toBeGreaterThan(0);
  return Object.fromEntries(read);
}

describe("the webhook statements' plans", () => {
  // The tables of a test database are never analyzed (autovacuum is off here, and PGlite has
  // none), as a fresh production table is not until autovacuum reaches it. Joined to the contact,
  // the ticket lookup was planned as a scan of every open ticket on the channel, filtered by
  // contact: each message on an open ticket read them all (6,577 of them, 12 ms, in a benchmark).

  /** A channel with Maria's open ticket and 40 other customers' open tickets. */
  async function busyChannel() {
    const { tenant, channel, config, phoneNumberId, ticket } = await conversation();
    const others = Array.from({ length: 40 }, (_, i) => `55119${String(30_000_000 + i).padStart(8, "0")}`);
    for (const from of others) {
      const payload = metaMessagePayload(phoneNumberId, { type: "text", text: { body: "oi" }, from });
      expect((await postMeta(channel.id, config.appSecret, payload)).status).toBe(200);
    }
    const ingestChannel = {
      id: channel.id,
      organizationId: tenant.organizationId,
      provider: "meta",
      queueId: null,
      reopenWindowHours: 0,
      notify: false,
    };
    return { channel: ingestChannel, mariasTicket: ticket.id };
  }

  const inbound = (phone: string) => {
    const id = wamid();
    return {
      kind: "message" as const,
      idempotencyKey: id,
      providerMessageId: id,
      from: { phone },
      timestamp: new Date(),
      type: "text" as const,
      text: "de novo",
    };
  };
  const delivery = () => ({
    id: uuidv7(),
    route: null,
    contentType: "application/json",
    body: new Uint8Array([123, 125]),
  });

  it("reads one contact and one ticket however many tickets the channel has open", async () => {
    const { channel } = await busyChannel();
    const statement = openTicketStatement(channel, inbound("+5511987654321"), {}, delivery(), 0);
    // No step over tickets or contacts (the lookups, the counters' updates and their scans)
    // yields more than the one row: before, the ticket's lookup gave all 41 open tickets and the
    // contact's update scanned every contact.
    expect(await rowsPerTable(statement)).toMatchObject({ tickets: 1, contacts: 1 });
  });

  it("opens a conversation again for a known customer without reading the channel's other tickets", async () => {
    const { channel, mariasTicket } = await busyChannel();
    // Maria's ticket is resolved (outside any reopen window): her next message opens a new one.
    await withDb((db) =>
      db.update(tickets).set({ status: "resolved", resolvedAt: new Date() }).where(eq(tickets.id, mariasTicket)),
    );
    const policy = await withDb((db) => cachedPolicy(db, null));
    const phone = "+5511987654321";
    const statement = newConversationStatement(channel, phone, inbound(phone), {}, delivery(), 0, policy);
    // The check for her active tickets finds her contact and none of the other 40 customers'
    // tickets; the inserts (and her contact's upsert) write one row each.
    expect(await rowsPerTable(statement)).toMatchObject({ tickets: 1, contacts: 1, messages: 1 });
  });
});
