import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { messages } from "@/db/schema";
import { channelCounts, withDb } from "../support/db";
import { createTenant, unique } from "../support/fixtures";
import { call } from "../support/http";
import { metaMessagePayload, metaStatusPayload, postMeta, wamid } from "../support/meta";
import { createChannel } from "../support/provider";

async function setup() {
  const tenant = await createTenant();
  const phoneNumberId = unique("pn");
  const config = {
    phoneNumberId,
    accessToken: "EAAG-test",
    appSecret: unique("secret"),
    verifyToken: unique("verify"),
  };
  const channel = await createChannel(tenant.token, { type: "whatsapp_meta", config });
  return { tenant, channel, config, phoneNumberId };
}

describe("Meta WhatsApp webhook", () => {
  it("answers the subscription handshake only with the right verify token", async () => {
    const { channel, config } = await setup();
    const ok = await call(
      `/webhooks/meta/${channel.id}?hub.mode=subscribe&hub.verify_token=${config.verifyToken}&hub.challenge=1158201444`,
    );
    expect(ok.status, ok.text).toBe(200);
    expect(ok.text).toBe("1158201444");
    const wrong = await call(`/webhooks/meta/${channel.id}?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1`);
    expect(wrong.status).toBe(403);
  });

  it("stores a signed text message as contact, ticket and message", async () => {
    const { tenant, channel, config, phoneNumberId } = await setup();
    const id = wamid();
    const res = await postMeta(
      channel.id,
      config.appSecret,
      metaMessagePayload(phoneNumberId, { id, type: "text", text: { body: "Olá, quero um orçamento" } }),
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ messages: 1, duplicates: 0 });
    // Revealed: lists mask phones by default.
    const list = await call(`/api/tickets?channelId=${channel.id}&reveal=true`, { token: tenant.token });
    expect(list.body.data).toHaveLength(1);
    const ticket = list.body.data[0];
    expect(ticket).toMatchObject({
      status: "open",
      number: 1,
      contact: { phone: "+5511987654321", name: "Maria Cliente" },
      unreadCount: 1,
    });
    const msgs = await call(`/api/tickets/${ticket.id}/messages`, { token: tenant.token });
    expect(msgs.body.data[0]).toMatchObject({
      direction: "inbound",
      type: "text",
      text: "Olá, quero um orçamento",
      providerMessageId: id,
      status: "received",
    });
  });

  // How each message type maps is in src/channels/meta/adapter.test.ts; this is the one media case end to end.
  it("stores an image message with its caption and Meta's media id", async () => {
    const { tenant, channel, config, phoneNumberId } = await setup();
    const message = { type: "image", image: { id: "m2", mime_type: "image/jpeg", caption: "foto" } };
    const res = await postMeta(channel.id, config.appSecret, metaMessagePayload(phoneNumberId, message));
    expect(res.status, res.text).toBe(200);
    const [ticket] = (await call(`/api/tickets?channelId=${channel.id}`, { token: tenant.token })).body.data;
    const msgs = await call(`/api/tickets/${ticket.id}/messages`, { token: tenant.token });
    expect(msgs.body.data[0]).toMatchObject({
      type: "image",
      text: "foto",
      media: { providerMediaId: "m2", caption: "foto" },
    });
  });

  it("keeps message types it does not handle as unsupported messages, and ignores other phone numbers' events", async () => {
    const { tenant, channel, config, phoneNumberId } = await setup();
    // Meta's own "unsupported", a WhatsApp Flows reply's sibling it cannot map, a type without its object:
    // correctly signed, in Meta's format, so a 200 and the customer's message kept (issue 8).
    for (const [message, providerType] of [
      [{ type: "unsupported", errors: [{ code: 131051 }] }, "unsupported"],
      [{ type: "interactive", interactive: { type: "call_permission_reply" } }, "interactive.call_permission_reply"],
      [{ type: "text" }, "text"],
    ] as const) {
      const res = await postMeta(channel.id, config.appSecret, metaMessagePayload(phoneNumberId, message));
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ messages: 1, ignored: 0 });
      const [ticket] = (await call(`/api/tickets?channelId=${channel.id}`, { token: tenant.token })).body.data;
      const msgs = await call(`/api/tickets/${ticket.id}/messages`, { token: tenant.token });
      expect(msgs.body.data[0]).toMatchObject({ type: "unsupported", content: { providerType, raw: message } });
    }
    const other = await postMeta(
      channel.id,
      config.appSecret,
      metaMessagePayload("someone-else", { type: "text", text: { body: "x" } }),
    );
    expect(other.body).toMatchObject({ messages: 0, ignored: 1 });
    expect(await channelCounts(channel.id)).toEqual({ events: 3, tickets: 1, messages: 3 });
  });

  it("keeps a sender number libphonenumber does not know, as Meta gave it", async () => {
    const { tenant, channel, config, phoneNumberId } = await setup();
    const payload = metaMessagePayload(phoneNumberId, { type: "text", text: { body: "shalom" }, from: "972987654321" });
    const res = await postMeta(channel.id, config.appSecret, payload);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ messages: 1, ignored: 0 });
    const [ticket] = (await call(`/api/tickets?channelId=${channel.id}&reveal=true`, { token: tenant.token })).body
      .data;
    expect(ticket, JSON.stringify(ticket)).toMatchObject({ contact: { phone: "+972987654321" } });
  });

  it("maps the Brazilian number without the ninth digit to the same contact", async () => {
    const { tenant, channel, config, phoneNumberId } = await setup();
    await postMeta(
      channel.id,
      config.appSecret,
      metaMessagePayload(phoneNumberId, { from: "5511987654321", type: "text", text: { body: "1" } }),
    );
    await postMeta(
      channel.id,
      config.appSecret,
      metaMessagePayload(phoneNumberId, { from: "551187654321", type: "text", text: { body: "2" } }),
    );
    const list = await call(`/api/tickets?channelId=${channel.id}`, { token: tenant.token });
    expect(list.body.data).toHaveLength(1);
    const msgs = await call(`/api/tickets/${list.body.data[0].id}/messages`, { token: tenant.token });
    expect(msgs.body.data).toHaveLength(2);
  });

  it("moves an outbound message's status forward only, and records failures with their code", async () => {
    const { tenant, channel, config, phoneNumberId } = await setup();
    await postMeta(
      channel.id,
      config.appSecret,
      metaMessagePayload(phoneNumberId, { type: "text", text: { body: "oi" } }),
    );
    const [ticket] = (await call(`/api/tickets?channelId=${channel.id}`, { token: tenant.token })).body.data;
    const sent = await call(`/api/tickets/${ticket.id}/messages`, {
      token: tenant.token,
      json: { type: "text", text: "Olá! Como posso ajudar?" },
    });
    expect(sent.status, sent.text).toBe(202);
    const [outbound] = await withDb((db) => db.select().from(messages).where(eq(messages.id, sent.body.id)));
    expect(outbound?.status).toBe("sent");
    const pid = outbound?.providerMessageId as string;
    const status = (s: string, extra = {}) =>
      postMeta(channel.id, config.appSecret, metaStatusPayload(phoneNumberId, pid, s, extra));
    await status("delivered");
    await status("read");
    await status("sent");
    const after = await call(`/api/tickets/${ticket.id}/messages?limit=1`, { token: tenant.token });
    expect(after.body.data[0]).toMatchObject({ status: "read", providerMessageId: pid });
    expect(after.body.data[0].deliveredAt).not.toBeNull();

    const second = await call(`/api/tickets/${ticket.id}/messages`, {
      token: tenant.token,
      json: { type: "text", text: "outra" },
    });
    const [row] = await withDb((db) => db.select().from(messages).where(eq(messages.id, second.body.id)));
    await postMeta(
      channel.id,
      config.appSecret,
      metaStatusPayload(phoneNumberId, row?.providerMessageId as string, "failed", {
        errors: [{ code: 131026, title: "Message undeliverable" }],
      }),
    );
    const failed = await call(`/api/tickets/${ticket.id}/messages?limit=1`, { token: tenant.token });
    expect(failed.body.data[0]).toMatchObject({
      status: "failed",
      error: { code: "131026", message: "Message undeliverable" },
    });
  });
});
