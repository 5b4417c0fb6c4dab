// Issue 8: correctly signed bodies that used to lose a customer's message (500s on NUL, dropped
// senders, 400s on legitimate replies) and the webhook_events trail that makes every verified body
// visible and replayable.
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { contacts, messages, webhookEvents } from "@/db/schema";
import { withDb } from "../support/db";
import { createTenant, unique } from "../support/fixtures";
import { call, onlyTicket } from "../support/http";
import { metaMessagePayload, postMeta } from "../support/meta";
import { createChannel } from "../support/provider";
import { accountSid, postTwilio, twilioInboundParams } from "../support/twilio";
import { postZapi, zapiReceivedPayload, zapiSecretOf } from "../support/zapi";

const deliveriesOf = (channelId: string) =>
  withDb((db) =>
    db.select().from(webhookEvents).where(eq(webhookEvents.channelId, channelId)).orderBy(webhookEvents.id),
  );

const messagesOf = (channelId: string) =>
  withDb((db) => db.select().from(messages).where(eq(messages.channelId, channelId)).orderBy(messages.createdAt));

async function zapiChannel() {
  const tenant = await createTenant();
  const config = { instanceId: unique("3C67AB"), instanceToken: unique("tok"), clientToken: unique("ct") };
  const channel = await createChannel(tenant.token, { type: "whatsapp_zapi", config });
  return { tenant, channel, secret: zapiSecretOf(channel.webhookUrls.webhook as string) };
}

async function metaChannel() {
  const tenant = await createTenant();
  const config = { phoneNumberId: unique("pn"), accessToken: "EAAG-test", appSecret: unique("s"), verifyToken: "v" };
  const channel = await createChannel(tenant.token, { type: "whatsapp_meta", config });
  const post = (message: Parameters<typeof metaMessagePayload>[1]) =>
    postMeta(channel.id, config.appSecret, metaMessagePayload(config.phoneNumberId, message));
  return { tenant, channel, config, post };
}

describe("hostile input never loses a message", () => {
  it("takes in a Z-API text with a NUL, cleans the message and keeps the exact body", async () => {
    const { tenant, channel, secret } = await zapiChannel();
    const payload = zapiReceivedPayload({ text: { message: "oi\u0000tudo bem" }, senderName: "Ana\u0000" });
    const sent = JSON.stringify(payload);
    const res = await postZapi(channel.id, secret, sent);
    expect(res.status, res.text).toBe(200);
    const [message] = await messagesOf(channel.id);
    expect(message?.body).toBe("oitudo bem");
    const ticket = await onlyTicket(tenant.token, channel.id);
    expect(ticket.contact.name).toBe("Ana");
    const [delivery] = await deliveriesOf(channel.id);
    expect(delivery?.status).toBe("stored");
    // The exact body, NUL escape included, is recoverable byte for byte.
    expect(new TextDecoder().decode(delivery?.body)).toBe(sent);
    const detail = await call(`/api/webhook-events/${delivery?.id}`, { token: tenant.token });
    expect(detail.status, detail.text).toBe(200);
    expect(detail.body.body).toBe(sent);
    expect(atob(detail.body.bodyBase64)).toBe(sent);
  });

  it("takes in a raw NUL byte and a lone surrogate in a Meta text", async () => {
    const { channel, config } = await metaChannel();
    const body = JSON.stringify(metaMessagePayload(config.phoneNumberId, { type: "text", text: { body: "a\ud800b" } }));
    const res = await postMeta(channel.id, config.appSecret, body);
    expect(res.status, res.text).toBe(200);
    const [message] = await messagesOf(channel.id);
    expect(message?.body).toBe("a\ufffdb");
  });

  it("takes in a Twilio SMS whose form parameters carry NULs", async () => {
    const tenant = await createTenant();
    const config = { accountSid: accountSid(), authToken: unique("tok"), phoneNumber: "+14155550100" };
    const channel = await createChannel(tenant.token, { type: "twilio_sms", config });
    const params = twilioInboundParams(config.accountSid, { Body: "nul\u0000here", ProfileName: "\u0000Bia" });
    const res = await postTwilio(channel.id, "sms", config.authToken, params);
    expect(res.status, res.text).toBe(200);
    const [message] = await messagesOf(channel.id);
    expect(message?.body).toBe("nulhere");
  });

  it("stores once a redelivered body whose provider id is longer than an index entry allows", async () => {
    const { channel, post } = await metaChannel();
    const id = `wamid.${"x".repeat(5000)}`;
    for (let i = 0; i < 2; i++) {
      const res = await post({ type: "text", id, text: { body: "long id" } });
      expect(res.status, res.text).toBe(200);
    }
    expect(await messagesOf(channel.id)).toHaveLength(1);
    expect((await deliveriesOf(channel.id)).map((d) => d.status)).toEqual(["stored", "duplicate"]);
  });

  it("keeps a sender whose number libphonenumber rejects, as given and unverified", async () => {
    const { tenant, channel, post } = await metaChannel();
    const res = await post({ type: "text", from: "972987654321", text: { body: "shalom" } });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ messages: 1 });
    const ticket = await onlyTicket(tenant.token, channel.id);
    const [contact] = await withDb((db) => db.select().from(contacts).where(eq(contacts.id, ticket.contact.id)));
    expect(contact).toMatchObject({ phone: "+972987654321", phoneVerified: false });
    const shown = await call(`/api/contacts/${contact?.id}`, { token: tenant.token });
    expect(shown.body, shown.text).toMatchObject({ phone: "+972987654321", phoneVerified: false });
    // The same person writing again lands on the same ticket.
    await post({ type: "text", from: "972987654321", text: { body: "again" } });
    expect(await messagesOf(channel.id)).toHaveLength(2);
  });

  it("answers 200 to WhatsApp interactive replies it does not map, keeping their content", async () => {
    const { channel, post } = await metaChannel();
    const flow = { type: "nfm_reply", nfm_reply: { name: "flow", body: "Sent", response_json: '{"cpf":"1"}' } };
    const permission = { type: "call_permission_reply", call_permission_reply: { response: "accept" } };
    for (const interactive of [flow, permission]) {
      const res = await post({ type: "interactive", interactive });
      expect(res.status, res.text).toBe(200);
    }
    const stored = await messagesOf(channel.id);
    expect(stored).toHaveLength(2);
    expect(stored.map((m) => m.type).sort()).toEqual(["interactive", "unsupported"]);
  });

  it("refuses API input with a NUL by naming the field, and stores nothing", async () => {
    const tenant = await createTenant();
    const phone = "+5511912345678";
    const res = await call("/api/contacts", { token: tenant.token, json: { name: "Bad\u0000Name", phone } });
    expect(res.status, res.text).toBe(400);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(res.body.errors).toEqual([expect.objectContaining({ path: ["name"], code: "invalid_text" })]);
    const query = await call(`/api/contacts?q=${encodeURIComponent("a\u0000")}`, { token: tenant.token });
    expect(query.status, query.text).toBe(400);
    const found = await withDb((db) =>
      db
        .select()
        .from(contacts)
        .where(sql`${contacts.organizationId} = ${tenant.organizationId} and ${contacts.phone} = ${phone}`),
    );
    expect(found).toHaveLength(0);
  });
});

describe("webhook events: every verified body, listable and replayable", () => {
  it("keeps a body sent to an inactive channel and replays it once the channel is back", async () => {
    const { tenant, channel, secret } = await zapiChannel();
    await call(`/api/channels/${channel.id}`, { method: "PATCH", token: tenant.token, json: { active: false } });
    const res = await postZapi(channel.id, secret, zapiReceivedPayload({ text: { message: "anyone there?" } }));
    expect(res.status, res.text).toBe(200);
    expect(await messagesOf(channel.id)).toHaveLength(0);

    const ignored = await call("/api/webhook-events?status=ignored", { token: tenant.token });
    expect(ignored.status, ignored.text).toBe(200);
    expect(ignored.body.data).toEqual([
      expect.objectContaining({ channelId: channel.id, status: "ignored", reason: "channel inactive" }),
    ]);
    const id = ignored.body.data[0].id;

    const early = await call(`/api/webhook-events/${id}/replay`, { method: "POST", token: tenant.token });
    expect(early.status, early.text).toBe(409);

    await call(`/api/channels/${channel.id}`, { method: "PATCH", token: tenant.token, json: { active: true } });
    const replayed = await call(`/api/webhook-events/${id}/replay`, { method: "POST", token: tenant.token });
    expect(replayed.status, replayed.text).toBe(200);
    expect(replayed.body).toMatchObject({ id, status: "stored", replayCount: 1 });
    expect((await messagesOf(channel.id)).map((m) => m.body)).toEqual(["anyone there?"]);

    const again = await call(`/api/webhook-events/${id}/replay`, { method: "POST", token: tenant.token });
    expect(again.body).toMatchObject({ status: "duplicate", replayCount: 2 });
    expect(await messagesOf(channel.id)).toHaveLength(1);
  });

  it("records a body whose ingest failed, answers 5xx so the provider retries, and replays it after the fix", async () => {
    const { tenant, channel, secret } = await zapiChannel();
    const marker = unique("boom");
    // A real database failure for this one message: a trigger that refuses its text.
    const fn = `fail_${marker}`;
    await withDb(async (db) => {
      await db.execute(
        sql.raw(`create function ${fn}() returns trigger language plpgsql as $$ begin
          if new.body = '${marker}' then raise exception 'refused by test trigger'; end if; return new; end $$`),
      );
      await db.execute(sql.raw(`create trigger ${fn} before insert on messages for each row execute function ${fn}()`));
    });
    try {
      const res = await postZapi(channel.id, secret, zapiReceivedPayload({ text: { message: marker } }));
      expect(res.status, res.text).toBe(500);
    } finally {
      await withDb(async (db) => {
        await db.execute(sql.raw(`drop trigger ${fn} on messages`));
        await db.execute(sql.raw(`drop function ${fn}()`));
      });
    }
    expect(await messagesOf(channel.id)).toHaveLength(0);
    const failed = await call(`/api/webhook-events?status=failed&channelId=${channel.id}`, { token: tenant.token });
    expect(failed.body.data).toEqual([expect.objectContaining({ status: "failed" })]);
    expect(failed.body.data[0].reason).toMatch(/Failed query|refused by test trigger/);
    const replayed = await call(`/api/webhook-events/${failed.body.data[0].id}/replay`, {
      method: "POST",
      token: tenant.token,
    });
    expect(replayed.body).toMatchObject({ status: "stored" });
    expect((await messagesOf(channel.id)).map((m) => m.body)).toEqual([marker]);
  });

  it("shows an organization only its own webhook events", async () => {
    const { channel, secret } = await zapiChannel();
    await postZapi(channel.id, secret, zapiReceivedPayload());
    const [delivery] = await deliveriesOf(channel.id);
    const other = await createTenant();
    const list = await call("/api/webhook-events", { token: other.token });
    expect(list.body.data).toEqual([]);
    for (const path of [`/api/webhook-events/${delivery?.id}`]) {
      expect((await call(path, { token: other.token })).status).toBe(404);
    }
    const replay = await call(`/api/webhook-events/${delivery?.id}/replay`, { method: "POST", token: other.token });
    expect(replay.status).toBe(404);
  });
});
