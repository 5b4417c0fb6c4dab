// A customer's first message on a channel is stored by one statement (src/inbox/new-conversation.ts);
// it must write exactly what the transactional path writes, and concurrent messages of one new
// customer must make one ticket.
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { contacts, interactionEvents, messages, outbox, ticketHistory, tickets, webhookEvents } from "@/db/schema";
import { withDb } from "../support/db";
import { createTenant, unique } from "../support/fixtures";
import { call } from "../support/http";
import { metaMessagePayload, postMeta, wamid } from "../support/meta";
import { createChannel, eventsWebhookOnFake } from "../support/provider";
import { seedMember } from "../support/seed";

/** An organization with a queue (SLA) and a Meta channel on it; `notify` gives it an events webhook. */
async function world(notify: boolean) {
  const tenant = await createTenant();
  const queue = await call("/api/queues", {
    token: tenant.token,
    json: { name: unique("Fila "), slaFirstResponseMinutes: 15, slaResolutionMinutes: 240 },
  });
  expect(queue.status, queue.text).toBe(201);
  if (notify) {
    await eventsWebhookOnFake(tenant.token, "nc");
  }
  const phoneNumberId = unique("pn");
  const config = { phoneNumberId, accessToken: "EAAG-test", appSecret: unique("secret"), verifyToken: "v" };
  const channel = await createChannel(tenant.token, { type: "whatsapp_meta", config, queueId: queue.body.id });
  return { tenant, channel, config, phoneNumberId, queueId: queue.body.id as string };
}

/** Everything a first message wrote, without the ids and times that differ between two organizations. */
async function written(organizationId: string, at: number) {
  return withDb(async (db) => {
    const [contact] = await db.select().from(contacts).where(eq(contacts.organizationId, organizationId));
    const [ticket] = await db.select().from(tickets).where(eq(tickets.organizationId, organizationId));
    const history = await db.select().from(ticketHistory).where(eq(ticketHistory.organizationId, organizationId));
    const [event] = await db
      .select()
      .from(interactionEvents)
      .where(eq(interactionEvents.organizationId, organizationId));
    const [message] = await db.select().from(messages).where(eq(messages.organizationId, organizationId));
    const [delivery] = await db.select().from(webhookEvents).where(eq(webhookEvents.organizationId, organizationId));
    const jobs = await db
      .select({ name: outbox.name })
      .from(outbox)
      .where(and(eq(outbox.organizationId, organizationId), eq(outbox.name, "ticket.assign")));
    const since = (d: Date | null | undefined) => (d ? d.getTime() - at : null);
    return {
      contact: {
        phone: contact?.phone,
        name: contact?.name,
        verified: contact?.phoneVerified,
        inbound: since(contact?.lastInboundAt),
      },
      ticket: {
        number: ticket?.number,
        status: ticket?.status,
        priority: ticket?.priority,
        unread: ticket?.unreadCount,
        lastMessage: since(ticket?.lastMessageAt),
        lastInbound: since(ticket?.lastInboundAt),
        firstResponseDue: since(ticket?.firstResponseDueAt),
        resolutionDue: since(ticket?.resolutionDueAt),
        // The SLA clocks the cron's sweep reads (src/sla): warnings, the next check, the wait.
        firstResponseWarn: since(ticket?.firstResponseWarnAt),
        resolutionWarn: since(ticket?.resolutionWarnAt),
        slaCheck: since(ticket?.slaCheckAt),
        slaCycle: ticket?.slaCycle,
        waiting: since(ticket?.waitingSince),
        contactMatches: ticket?.contactId === contact?.id,
      },
      history: history.map((h) => ({ action: h.action, actorType: h.actorType, byContact: h.actorId === contact?.id })),
      event: {
        type: event?.eventType,
        normalized: Object.keys(event?.normalized ?? {}).sort(),
        keyIsMessageId:
          (event?.normalized as { providerMessageId?: string })?.providerMessageId === message?.providerMessageId,
        processed: event?.processedAt !== null,
      },
      message: {
        type: message?.type,
        body: message?.body,
        direction: message?.direction,
        status: message?.status,
        senderType: message?.senderType,
        createdAt: since(message?.createdAt),
        onTicket: message?.ticketId === ticket?.id && message?.contactId === contact?.id,
      },
      delivery: { status: delivery?.status, result: delivery?.result },
      assignJobs: jobs.length,
    };
  });
}

describe("a customer's first message on a channel", () => {
  it("writes in one statement what the transactional path writes", async () => {
    const at = (Math.floor(Date.now() / 1000) - 30) * 1000;
    const send = async (w: Awaited<ReturnType<typeof world>>) => {
      const id = wamid();
      const payload = metaMessagePayload(
        w.phoneNumberId,
        { id, type: "text", text: { body: "Olá, primeira vez" }, timestamp: String(at / 1000), from: "5511987650001" },
        "Joana Cliente",
      );
      const res = await postMeta(w.channel.id, w.config.appSecret, payload);
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ messages: 1, duplicates: 0 });
      return written(w.tenant.organizationId, at);
    };
    // An events webhook sends the organization's new conversations through the transaction.
    const { assignJobs: withoutAgent, ...oneStatement } = await send(await world(false));
    const { assignJobs: always, ...transaction } = await send(await world(true));
    expect(oneStatement).toEqual(transaction);
    expect(oneStatement).toMatchObject({
      contact: { phone: "+5511987650001", name: "Joana Cliente", verified: true, inbound: 0 },
      ticket: { number: 1, status: "open", unread: 1, lastMessage: 0, firstResponseDue: 15 * 60_000 },
      history: [{ action: "created", actorType: "contact", byContact: true }],
      delivery: { status: "stored" },
    });
    // The one difference: the statement enqueues ticket.assign only when someone could take the ticket.
    expect([withoutAgent, always]).toEqual([0, 1]);
    const staffed = await world(false);
    const agent = await seedMember(staffed.tenant.organizationId, "agent");
    const online = await call(`/api/agents/${agent.userId}`, {
      method: "PATCH",
      token: staffed.tenant.token,
      json: { status: "online", queueIds: [staffed.queueId] },
    });
    expect(online.status, online.text).toBe(200);
    expect((await send(staffed)).assignJobs).toBe(1);
  });

  it("makes one ticket of several messages a new customer sends at once", async () => {
    const w = await world(false);
    const from = "5511987650002";
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        postMeta(
          w.channel.id,
          w.config.appSecret,
          metaMessagePayload(w.phoneNumberId, { id: wamid(), type: "text", text: { body: `parte ${i}` }, from }),
        ),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(results.reduce((n, r) => n + r.body.messages, 0)).toBe(8);
    const rows = await withDb(async (db) => ({
      tickets: await db.select().from(tickets).where(eq(tickets.organizationId, w.tenant.organizationId)),
      messages: await db.select().from(messages).where(eq(messages.organizationId, w.tenant.organizationId)),
      contacts: await db.select().from(contacts).where(eq(contacts.organizationId, w.tenant.organizationId)),
    }));
    expect(rows.contacts).toHaveLength(1);
    expect(rows.tickets).toHaveLength(1);
    expect(rows.tickets[0]?.unreadCount).toBe(8);
    expect(rows.messages).toHaveLength(8);
    expect(new Set(rows.messages.map((m) => m.ticketId))).toEqual(new Set([rows.tickets[0]?.id]));
  });
});
