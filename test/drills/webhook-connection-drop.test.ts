// Drill: the database connection drops in the middle of a webhook. The provider must get a 5xx
// (so it redelivers), nothing partial may be stored, and the redelivery is stored exactly once.
// The webhook's DATABASE_URL goes through the fault proxy, which cuts the connection when it
// sees the statement that stores the message: either halfway through sending it ("request": the
// server never runs it) or once the server has run it ("reply": the client never hears back).
import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it, type TestContext } from "vitest";
import { contacts, messages, tickets } from "@/db/schema";
import { channelCounts, withDb } from "../support/db";
import { type Driver, drivers } from "../support/env";
import { createTenant, unique } from "../support/fixtures";
import type { TestResponse } from "../support/http";
import { metaMessagePayload, postMeta, wamid } from "../support/meta";
import { createChannel, eventsWebhookOnFake } from "../support/provider";
import { type ArmedFault, armDatabaseFault, faultyDatabase } from "./faults";
import { reportDrill, statusClasses } from "./report";

const cuts = ["request", "reply"] as const;

async function metaChannel() {
  const tenant = await createTenant();
  const phoneNumberId = unique("pn");
  const config = { phoneNumberId, accessToken: "EAAG-test", appSecret: unique("secret"), verifyToken: "v" };
  const channel = await createChannel(tenant.token, { type: "whatsapp_meta", config });
  return { tenant, channel, phoneNumberId, config };
}

/** Everything a webhook can write for a channel: raw events, contacts, tickets, messages, counters. */
async function stored(organizationId: string, channelId: string) {
  const counts = await channelCounts(channelId);
  const more = await withDb(async (db) => {
    const [contact] = await db
      .select({ n: sql<number>`count(*)::int` })
      .from(contacts)
      .where(eq(contacts.organizationId, organizationId));
    const [ticket] = await db
      .select({ unread: sql<number>`coalesce(sum(${tickets.unreadCount}), 0)::int` })
      .from(tickets)
      .where(eq(tickets.channelId, channelId));
    return { contacts: contact?.n, unread: ticket?.unread };
  });
  return { ...counts, ...more };
}

/**
 * Sends the webhook with the fault armed, then redelivers it twice as the provider would after
 * a 5xx, recording what was stored after the cut and at the end. Reports the drill row.
 */
async function cutThenRedeliver(
  context: TestContext,
  fault: ArmedFault,
  send: () => Promise<TestResponse>,
  scope: { organizationId: string; channelId: string; providerMessageId: string },
) {
  const cutOff = await send();
  const fired = await fault.status();
  await fault.disarm();
  const afterCut = await stored(scope.organizationId, scope.channelId);
  const redeliveries = [await send(), await send()];
  const final = await stored(scope.organizationId, scope.channelId);
  const copies = await withDb(async (db) =>
    db
      .select({ id: messages.id })
      .from(messages)
      .where(and(eq(messages.channelId, scope.channelId), eq(messages.providerMessageId, scope.providerMessageId))),
  );
  reportDrill(context, {
    drill: "database cut mid-webhook",
    cases: 1,
    ...statusClasses([cutOff, ...redeliveries].map((r) => r.status)),
    lost: copies.length === 0 ? 1 : 0,
    doubled: copies.length > 1 ? 1 : 0,
  });
  expect(fired).toMatchObject({ fired: true });
  expect(cutOff.status, cutOff.text).toBeGreaterThanOrEqual(500);
  for (const redelivered of redeliveries) expect(redelivered.status, redelivered.text).toBe(200);
  expect(copies).toHaveLength(1);
  return { afterCut, final };
}

describe.each(drivers)("drill: database connection dropped during a webhook (%s driver)", (driver: Driver) => {
  const env = faultyDatabase();

  it.for(cuts)(
    "a new conversation (one-statement path) cut mid-statement (%s): 5xx, all or nothing, stored once",
    async (cut, context) => {
      const { tenant, channel, phoneNumberId, config } = await metaChannel();
      const id = wamid();
      const body = JSON.stringify(metaMessagePayload(phoneNumberId, { type: "text", text: { body: "oi" }, id }));
      // Only the new-conversation statement opens with this CTE; the channel id scopes it to this test.
      const fault = await armDatabaseFault({ match: ["with blocked as", channel.id], cut });
      const send = () => postMeta(channel.id, config.appSecret, body, { env, driver });
      const scope = { organizationId: tenant.organizationId, channelId: channel.id, providerMessageId: id };

      const { afterCut, final } = await cutThenRedeliver(context, fault, send, scope);
      const nothing = { events: 0, contacts: 0, tickets: 0, messages: 0, unread: 0 };
      const all = { events: 1, contacts: 1, tickets: 1, messages: 1, unread: 1 };
      expect(afterCut, "the cut statement left a partial write").toEqual(cut === "request" ? nothing : all);
      expect(final).toEqual(all);
    },
  );

  it.for(cuts)(
    "a new conversation on the transactional path cut at its message insert (%s): 5xx, nothing stored, redelivery stored once",
    async (cut, context) => {
      const { tenant, channel, phoneNumberId, config } = await metaChannel();
      // An events webhook sends new conversations through the transaction (ticket.created is notified).
      await eventsWebhookOnFake(tenant.token, "drill");
      const id = wamid();
      const body = JSON.stringify(metaMessagePayload(phoneNumberId, { type: "text", text: { body: "oi" }, id }));
      // The transaction wrote the raw event, the contact and the ticket before this statement.
      const fault = await armDatabaseFault({ match: ['insert into "messages"', channel.id], cut });
      const send = () => postMeta(channel.id, config.appSecret, body, { env, driver });
      const scope = { organizationId: tenant.organizationId, channelId: channel.id, providerMessageId: id };

      const { afterCut, final } = await cutThenRedeliver(context, fault, send, scope);
      const nothing = { events: 0, contacts: 0, tickets: 0, messages: 0, unread: 0 };
      expect(afterCut, "nothing of the cut webhook may remain").toEqual(nothing);
      expect(final).toEqual({ events: 1, contacts: 1, tickets: 1, messages: 1, unread: 1 });
    },
  );

  it.for(cuts)(
    "a message on an open ticket (one-statement path) cut mid-statement (%s): 5xx, all or nothing, stored once",
    async (cut, context) => {
      const { tenant, channel, phoneNumberId, config } = await metaChannel();
      const first = await postMeta(
        channel.id,
        config.appSecret,
        metaMessagePayload(phoneNumberId, { type: "text", text: { body: "primeira" } }),
        { driver },
      );
      expect(first.status, first.text).toBe(200);
      const before = await stored(tenant.organizationId, channel.id);
      const id = wamid();
      const body = JSON.stringify(metaMessagePayload(phoneNumberId, { type: "text", text: { body: "segunda" }, id }));
      // Only the one-statement path has this CTE; the channel id scopes it to this test.
      const fault = await armDatabaseFault({ match: ["open_ticket as (", channel.id], cut });
      const send = () => postMeta(channel.id, config.appSecret, body, { env, driver });
      const scope = { organizationId: tenant.organizationId, channelId: channel.id, providerMessageId: id };

      const { afterCut, final } = await cutThenRedeliver(context, fault, send, scope);
      const all = { events: 2, contacts: 1, tickets: 1, messages: 2, unread: 2 };
      // A statement is atomic: cut before it ran, nothing; cut after, everything (and the client
      // could not know, hence the 5xx and the redelivery that finds a duplicate).
      expect(afterCut, "the cut statement left a partial write").toEqual(cut === "request" ? before : all);
      expect(final).toEqual(all);
    },
  );
});
