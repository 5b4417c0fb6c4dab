// The single-statement path for messages on open tickets must store exactly what the
// transactional path stores.
import { and, eq, sql } from "drizzle-orm";
import { describe, expect, inject, it } from "vitest";
import { contacts, interactionEvents, messages, tickets } from "@/db/schema";
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
