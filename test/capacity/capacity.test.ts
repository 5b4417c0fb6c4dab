// What the platform spends per inbound message and per agent reply: Worker invocations, database
// connections and round trips, QStash messages. The README's capacity section quotes these
// figures; a change that adds a round trip or a job fails here, and updates both.
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { contacts, tickets } from "@/db/schema";
import { cost, countedEnv, type Step } from "../support/capacity";
import { withDb } from "../support/db";
import { drivers } from "../support/env";
import { call } from "../support/http";
import { metaMessagePayload, metaStatusPayload, postMeta } from "../support/meta";
import { fakeRequests } from "../support/provider";
import { conversation, messageRow } from "../support/scenario";
import { seedMember } from "../support/seed";

/** The organization's ticket for a customer's phone. */
const ticketOf = (organizationId: string, phone: string) =>
  withDb(async (db) => {
    const [row] = await db
      .select({ status: tickets.status, assigneeId: tickets.assigneeId })
      .from(tickets)
      .innerJoin(contacts, eq(contacts.id, tickets.contactId))
      .where(and(eq(tickets.organizationId, organizationId), eq(contacts.phone, phone)));
    return row;
  });

async function ok(response: Promise<{ status: number; text: string; body: unknown }>, status = 200) {
  const res = await response;
  expect(res.status, res.text).toBe(status);
  return res;
}

describe.each(drivers)("capacity (%s driver)", (driver) => {
  /** A channel whose isolate has its configuration cached, and one customer's open ticket. */
  async function world() {
    const env = countedEnv();
    const w = await conversation({ env });
    const organizationId = w.tenant.organizationId;
    const inbound = (from: string, text: string) =>
      ok(
        postMeta(
          w.channel.id,
          w.config.appSecret,
          metaMessagePayload(w.phoneNumberId, { type: "text", text: { body: text }, from }),
          { env, driver },
        ),
      );
    const reply = (text: string) =>
      ok(
        call(`/api/tickets/${w.ticket.id}/messages`, {
          env,
          driver,
          token: w.tenant.token,
          json: { type: "text", text },
        }),
        202,
      );
    return { ...w, env, organizationId, inbound, reply };
  }

  it("an inbound message that opens a conversation: the webhook, then the assignment job", async () => {
    const w = await world();
    const agent = await seedMember(w.organizationId, "agent", { online: true });
    const phone = `55119${String(Date.now()).slice(-8)}`;
    const spent = await cost(w.organizationId, driver, "webhook", () => w.inbound(phone, "Oi, primeira vez aqui"));
    // The webhook: the open-ticket statement finds none, the new-conversation statement stores
    // everything, and the job is marked published after QStash took it.
    expect(spent.steps).toEqual<Step[]>([
      { invocation: "webhook", connections: 1, roundTrips: 3 },
      { invocation: "/jobs/ticket.assign", connections: 1, roundTrips: 7 },
    ]);
    expect(spent.qstashMessages).toBe(1);
    expect((await ticketOf(w.organizationId, `+${phone}`))?.assigneeId).toBe(agent.userId);
  });

  it("an inbound message that opens a conversation nobody can take now: the webhook alone", async () => {
    const w = await world();
    const phone = `55119${String(Date.now()).slice(-8)}`;
    const spent = await cost(w.organizationId, driver, "webhook", () => w.inbound(phone, "Tem alguém aí?"));
    expect(spent.steps).toEqual<Step[]>([{ invocation: "webhook", connections: 1, roundTrips: 2 }]);
    expect(spent.qstashMessages).toBe(0);
    expect(await ticketOf(w.organizationId, `+${phone}`)).toMatchObject({ status: "open", assigneeId: null });
  });

  it("an inbound message from a customer with an open ticket: the webhook alone, in one statement", async () => {
    const w = await world();
    const spent = await cost(w.organizationId, driver, "webhook", () => w.inbound("5511987654321", "De novo"));
    expect(spent.steps).toEqual<Step[]>([{ invocation: "webhook", connections: 1, roundTrips: 1 }]);
    expect(spent.qstashMessages).toBe(0);
  });

  it("an agent reply: the API request, then the send job and its one provider call", async () => {
    const w = await world();
    let messageId = "";
    const spent = await cost(w.organizationId, driver, "POST /api/tickets/{id}/messages", async () => {
      messageId = ((await w.reply("Olá! Como posso ajudar?")).body as { id: string }).id;
    });
    expect(spent.steps).toEqual<Step[]>([
      { invocation: "POST /api/tickets/{id}/messages", connections: 1, roundTrips: 11 },
      { invocation: "/jobs/message.send", connections: 1, roundTrips: 9 },
    ]);
    expect(spent.qstashMessages).toBe(1);
    expect(await fakeRequests(w.graphPrefix)).toHaveLength(1);
    expect((await messageRow(messageId))?.status).toBe("sent");
  });

  it("a delivery receipt for a reply: the status webhook alone", async () => {
    const w = await world();
    let messageId = "";
    await cost(w.organizationId, driver, "reply", async () => {
      messageId = ((await w.reply("Seu pedido saiu para entrega")).body as { id: string }).id;
    });
    const providerMessageId = (await messageRow(messageId))?.providerMessageId;
    if (!providerMessageId) throw new Error("the reply was not sent");
    const spent = await cost(w.organizationId, driver, "webhook", () =>
      ok(
        postMeta(w.channel.id, w.config.appSecret, metaStatusPayload(w.phoneNumberId, providerMessageId, "delivered"), {
          env: w.env,
          driver,
        }),
      ),
    );
    expect(spent.steps).toEqual<Step[]>([{ invocation: "webhook", connections: 1, roundTrips: 7 }]);
    expect(spent.qstashMessages).toBe(0);
    expect((await messageRow(messageId))?.status).toBe("delivered");
  });
});
