// What the platform spends per inbound message and per agent reply: Worker invocations, database
// connections and round trips, QStash messages. The README's capacity section quotes these
// figures; a change that adds a round trip or a job fails here, and updates both.
import { and, eq } from "drizzle-orm";
import { describe, expect, inject, it } from "vitest";
import { contacts, tickets } from "@/db/schema";
import { cost, countedEnv, type Step, wire } from "../support/capacity";
import { channelCounts, withDb } from "../support/db";
import { drivers } from "../support/env";
import { call } from "../support/http";
import { metaMessagePayload, metaStatusPayload, postMeta, wamid } from "../support/meta";
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
    /** What one GET of the API costs. */
    const read = (path: string) =>
      cost(organizationId, driver, path, () => ok(call(path, { env, driver, token: w.tenant.token })));
    return { ...w, env, organizationId, inbound, reply, read };
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

  it("reads a console makes often: one connection each, however many queries", async () => {
    const w = await world();
    const read = async (path: string) =>
      (await w.read(path)).steps.map(({ invocation, connections }) => ({ invocation, connections }));
    for (const path of [
      "/api/tickets",
      `/api/tickets/${w.ticket.id}`,
      "/api/interactions",
      `/api/contacts/${w.ticket.contact.id}/timeline`,
    ]) {
      expect(await read(path)).toEqual([{ invocation: path, connections: 1 }]);
    }
  });

  it("a page of tickets comes with its contacts and tags in the list's own statement", async () => {
    const w = await world();
    const roundTrips = async (path: string) => (await w.read(path)).steps.map(({ roundTrips }) => roundTrips);
    // The caller, the organization's masking setting, then the page (a search adds its
    // transaction: begin, the planner's costs, commit). A page with rows used to add a statement.
    expect(await roundTrips("/api/tickets")).toEqual([3]);
    expect(await roundTrips("/api/tickets?q=pedido")).toEqual([6]);
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
    // One statement: the event, the message's status, the delivery's row (src/inbox/status-fast-path.ts).
    expect(spent.steps).toEqual<Step[]>([{ invocation: "webhook", connections: 1, roundTrips: 1 }]);
    expect(spent.qstashMessages).toBe(0);
    expect((await messageRow(messageId))?.status).toBe("delivered");
  });
});

// Named statements (src/db/prepared.ts): PostgreSQL 15 only, since PGlite is one session shared by
// every connection, where a second Parse of a name fails as it would behind a pooler that does not
// track them (which is why "auto" names nothing off Neon).
describe.runIf(inject("databaseKind") === "postgres").each(drivers)("named statements (%s driver)", (driver) => {
  async function world(mode: "on" | "off") {
    const env = { ...countedEnv(), DATABASE_PREPARED_STATEMENTS: mode };
    const w = await conversation({ env });
    /** Posts a signed webhook; the named Parse messages it put on the wire. */
    const namedBy = async (payload: unknown) => {
      const before = await wire();
      await ok(postMeta(w.channel.id, w.config.appSecret, payload, { env, driver }));
      return (await wire()).named - before.named;
    };
    const inbound = (from: string, id = wamid()) =>
      namedBy(metaMessagePayload(w.phoneNumberId, { type: "text", text: { body: "Oi" }, from, id }));
    const receipt = (providerMessageId: string) =>
      namedBy(metaStatusPayload(w.phoneNumberId, providerMessageId, "delivered"));
    return { ...w, inbound, receipt };
  }

  it("sends the webhook's statements named when on, and stores each message once", async () => {
    const w = await world("on");
    // A message on the open ticket: the one fast-path statement; again on a new connection, and
    // the same delivery twice (the provider's retry), still one named statement each.
    expect(await w.inbound("5511987654321")).toBe(1);
    const id = wamid();
    expect(await w.inbound("5511987654321", id)).toBe(1);
    expect(await w.inbound("5511987654321", id)).toBe(1);
    // A new conversation: the fast path finds no ticket, then the new-conversation statement.
    expect(await w.inbound(`55219${String(Date.now()).slice(-8)}`)).toBe(2);
    expect(await channelCounts(w.channel.id)).toEqual({ events: 4, tickets: 2, messages: 4 });
    // A delivery receipt (here for a message not known yet, kept for the send job): one.
    expect(await w.receipt(wamid())).toBe(1);
    expect(await channelCounts(w.channel.id)).toEqual({ events: 5, tickets: 2, messages: 4 });
  });

  it("names nothing when off", async () => {
    const w = await world("off");
    expect(await w.inbound("5511987654321")).toBe(0);
    expect(await w.inbound(`55219${String(Date.now()).slice(-8)}`)).toBe(0);
    expect(await channelCounts(w.channel.id)).toEqual({ events: 3, tickets: 2, messages: 3 });
  });
});
