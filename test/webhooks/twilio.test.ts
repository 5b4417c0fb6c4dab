import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { interactionEvents, messages, tickets } from "@/db/schema";
import { channelCounts, withDb } from "../support/db";
import { createTenant, unique } from "../support/fixtures";
import { call, onlyTicket } from "../support/http";
import { createChannel, fakeRequests } from "../support/provider";
import {
  accountSid,
  contentSid,
  messageSid,
  PUBLIC_URL,
  postTwilio,
  twilioInboundParams,
  twilioStatusParams,
  twilioWhatsAppParams,
} from "../support/twilio";

async function setup(phoneNumber = "+14155550100") {
  const tenant = await createTenant();
  const config = { accountSid: accountSid(), authToken: unique("tok"), phoneNumber };
  const channel = await createChannel(tenant.token, { type: "twilio_sms", config });
  return {
    tenant,
    channel,
    config,
    /** The fake's path prefix for this channel's account: unique per test. */
    prefix: `/twilio/2010-04-01/Accounts/${config.accountSid}/`,
    sms: (params: Record<string, string> | string, options?: Parameters<typeof postTwilio>[4]) =>
      postTwilio(channel.id, "sms", config.authToken, params, options),
    status: (params: Record<string, string> | string, options?: Parameters<typeof postTwilio>[4]) =>
      postTwilio(channel.id, "sms-status", config.authToken, params, options),
  };
}

describe("Twilio SMS webhook", () => {
  it("gives the SMS and status callback URLs to configure", async () => {
    const { channel } = await setup();
    expect(channel.webhookUrls).toEqual({
      sms: `${PUBLIC_URL}/webhooks/twilio/${channel.id}/sms`,
      status: `${PUBLIC_URL}/webhooks/twilio/${channel.id}/sms-status`,
    });
  });

  it("stores a signed SMS as contact, ticket and message", async () => {
    const { tenant, channel, config, sms } = await setup();
    const sid = messageSid();
    const res = await sms(twilioInboundParams(config.accountSid, { MessageSid: sid, Body: "Olá, quero um orçamento" }));
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ messages: 1, duplicates: 0 });
    const ticket = await onlyTicket(tenant.token, channel.id);
    expect(ticket).toMatchObject({ status: "open", number: 1, contact: { phone: "+5511987654321" }, unreadCount: 1 });
    const msgs = await call(`/api/tickets/${ticket.id}/messages`, { token: tenant.token });
    expect(msgs.body.data).toHaveLength(1);
    expect(msgs.body.data[0]).toMatchObject({
      direction: "inbound",
      type: "text",
      text: "Olá, quero um orçamento",
      providerMessageId: sid,
      status: "received",
    });
    const [event] = await withDb((db) =>
      db.select().from(interactionEvents).where(eq(interactionEvents.channelId, channel.id)),
    );
    expect(event).toMatchObject({ provider: "twilio", idempotencyKey: sid, eventType: "message.text" });
    // The raw form is kept as an object.
    expect(event?.payload).toMatchObject({ MessageSid: sid, From: "+5511987654321" });
  });

  it("names the missing MessageSid of a status callback in its 400", async () => {
    const { channel, config, status } = await setup();
    const { MessageSid: _s, ...statusNoSid } = twilioStatusParams(config.accountSid, messageSid(), "delivered");
    const res = await status(statusNoSid);
    expect(res.status, res.text).toBe(400);
    expect(res.body.detail).toContain("MessageSid");
    expect(await channelCounts(channel.id)).toEqual({ events: 0, tickets: 0, messages: 0 });
  });

  it("keeps a message whose content it cannot read, or of a type it does not map, as unsupported", async () => {
    const { tenant, channel, config, sms } = await setup();
    for (const [params, providerType] of [
      [twilioInboundParams(config.accountSid, { NumMedia: "2", MediaUrl0: "https://example.com/a.jpg" }), "media"],
      [twilioWhatsAppParams(config.accountSid, { Latitude: "north", Longitude: "-46.6" }), "location"],
      [twilioWhatsAppParams(config.accountSid, { Body: "", MessageType: "unsupported" }), "unsupported"],
    ] as const) {
      const res = await sms(params);
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ messages: 1, ignored: 0 });
      const msgs = await call(`/api/tickets/${(await onlyTicket(tenant.token, channel.id)).id}/messages`, {
        token: tenant.token,
      });
      expect(msgs.body.data[0]).toMatchObject({ type: "unsupported", content: { providerType, raw: params } });
    }
  });

  const mediaUrl = (n: number) =>
    `https://api.twilio.com/2010-04-01/Accounts/AC00000000000000000000000000000000/Messages/MM00000000000000000000000000000000/Media/ME${String(n).repeat(32)}`;

  // How each media type maps is in src/channels/twilio/adapter.test.ts; this is the one media case end to end.
  it("stores an MMS with image media, its body as the caption", async () => {
    const { tenant, channel, config, sms } = await setup();
    const overrides = { NumMedia: "1", MediaUrl0: mediaUrl(1), MediaContentType0: "image/jpeg", Body: "foto" };
    const res = await sms(twilioInboundParams(config.accountSid, overrides));
    expect(res.status, res.text).toBe(200);
    const ticket = await onlyTicket(tenant.token, channel.id);
    const msgs = await call(`/api/tickets/${ticket.id}/messages`, { token: tenant.token });
    expect(msgs.body.data[0]).toMatchObject({
      type: "image",
      text: "foto",
      media: { url: mediaUrl(1), providerMediaId: `ME${"1".repeat(32)}`, mimeType: "image/jpeg", caption: "foto" },
    });
  });

  it("stores each media of a multi-media message as its own message", async () => {
    const { tenant, channel, config, sms } = await setup();
    const sid = messageSid();
    const params = twilioInboundParams(config.accountSid, {
      MessageSid: sid,
      Body: "três fotos",
      NumMedia: "3",
      MediaUrl0: mediaUrl(1),
      MediaContentType0: "image/jpeg",
      MediaUrl1: mediaUrl(2),
      MediaContentType1: "image/png",
      MediaUrl2: mediaUrl(3),
      MediaContentType2: "video/mp4",
    });
    const res = await sms(params);
    expect(res.body).toMatchObject({ messages: 3, duplicates: 0 });
    // Redelivered: all three are duplicates.
    expect((await sms(params)).body).toMatchObject({ messages: 0, duplicates: 3 });
    const ticket = await onlyTicket(tenant.token, channel.id);
    const msgs = await call(`/api/tickets/${ticket.id}/messages?order=asc`, { token: tenant.token });
    expect(
      msgs.body.data.map((m: { providerMessageId: string; type: string; text: string | null }) => [
        m.providerMessageId,
        m.type,
        m.text,
      ]),
    ).toEqual(
      expect.arrayContaining([
        [sid, "image", "três fotos"],
        [`${sid}:1`, "image", null],
        [`${sid}:2`, "video", null],
      ]),
    );
    expect(await channelCounts(channel.id)).toEqual({ events: 3, tickets: 1, messages: 3 });
  });

  it("moves an outbound message's status forward only, and records failures with their code", async () => {
    const { tenant, channel, config, sms, status } = await setup();
    await sms(twilioInboundParams(config.accountSid, { Body: "oi" }));
    const ticket = await onlyTicket(tenant.token, channel.id);
    const sent = await call(`/api/tickets/${ticket.id}/messages`, {
      token: tenant.token,
      json: { type: "text", text: "Olá! Como posso ajudar?" },
    });
    expect(sent.status, sent.text).toBe(202);
    const [outbound] = await withDb((db) => db.select().from(messages).where(eq(messages.id, sent.body.id)));
    expect(outbound?.status).toBe("sent");
    const sid = outbound?.providerMessageId as string;
    expect(sid).toMatch(/^SMfake/);

    for (const s of ["queued", "sent", "delivered"]) {
      const res = await status(twilioStatusParams(config.accountSid, sid, s));
      expect(res.status, res.text).toBe(200);
    }
    // Twilio retries the "sent" callback late: a duplicate, and the message stays delivered.
    const stale = await status(twilioStatusParams(config.accountSid, sid, "sent"));
    expect(stale.status).toBe(200);
    expect(stale.body).toMatchObject({ duplicates: 1, statuses: 0 });
    const after = await call(`/api/tickets/${ticket.id}/messages?limit=1`, { token: tenant.token });
    expect(after.body.data[0]).toMatchObject({ status: "delivered", providerMessageId: sid });
    expect(after.body.data[0].deliveredAt).not.toBeNull();

    // Callbacks out of order: "delivered" before "sent". The late "sent" is new but stale.
    const outOfOrder = await call(`/api/tickets/${ticket.id}/messages`, {
      token: tenant.token,
      json: { type: "text", text: "mais uma" },
    });
    const [outOfOrderRow] = await withDb((db) => db.select().from(messages).where(eq(messages.id, outOfOrder.body.id)));
    const outOfOrderSid = outOfOrderRow?.providerMessageId as string;
    await status(twilioStatusParams(config.accountSid, outOfOrderSid, "delivered"));
    const late = await status(twilioStatusParams(config.accountSid, outOfOrderSid, "sent"));
    expect(late.body).toMatchObject({ duplicates: 0, statuses: 1 });
    const [afterLate] = await withDb((db) => db.select().from(messages).where(eq(messages.id, outOfOrder.body.id)));
    expect(afterLate?.status).toBe("delivered");

    const second = await call(`/api/tickets/${ticket.id}/messages`, {
      token: tenant.token,
      json: { type: "text", text: "outra" },
    });
    const [row] = await withDb((db) => db.select().from(messages).where(eq(messages.id, second.body.id)));
    const res = await status(
      twilioStatusParams(config.accountSid, row?.providerMessageId as string, "undelivered", { ErrorCode: "30003" }),
    );
    expect(res.body).toMatchObject({ statuses: 1 });
    const failed = await call(`/api/tickets/${ticket.id}/messages?limit=1`, { token: tenant.token });
    expect(failed.body.data[0]).toMatchObject({
      status: "failed",
      error: { code: "30003", message: "Twilio error 30003" },
    });
  });

  it("end to end: inbound, agent reply through the API, one request to Twilio, status callback", async () => {
    const { tenant, channel, config, prefix, sms } = await setup();
    await sms(twilioInboundParams(config.accountSid, { Body: "Preciso de ajuda" }));
    const ticket = await onlyTicket(tenant.token, channel.id);
    const reply = await call(`/api/tickets/${ticket.id}/messages`, {
      token: tenant.token,
      json: { type: "text", text: "Claro! Em que posso ajudar?" },
    });
    expect(reply.status, reply.text).toBe(202);

    const requests = await fakeRequests(prefix);
    expect(requests).toHaveLength(1);
    const [req] = requests;
    expect(req?.method).toBe("POST");
    expect(req?.path).toBe(`/twilio/2010-04-01/Accounts/${config.accountSid}/Messages.json`);
    expect(req?.headers.authorization).toBe(`Basic ${btoa(`${config.accountSid}:${config.authToken}`)}`);
    expect(req?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    const form = Object.fromEntries(new URLSearchParams(req?.body));
    const callback = `${PUBLIC_URL}/webhooks/twilio/${channel.id}/sms-status`;
    expect(form).toEqual({
      To: "+5511987654321",
      From: "+14155550100",
      Body: "Claro! Em que posso ajudar?",
      StatusCallback: callback,
    });

    const [outbound] = await withDb((db) => db.select().from(messages).where(eq(messages.id, reply.body.id)));
    expect(outbound).toMatchObject({ status: "sent", direction: "outbound" });
    const sid = outbound?.providerMessageId as string;
    // Twilio signs the status callback for exactly the StatusCallback URL we gave it.
    const delivered = await postTwilio(
      channel.id,
      "sms-status",
      config.authToken,
      twilioStatusParams(config.accountSid, sid, "delivered"),
      { signedUrl: form.StatusCallback },
    );
    expect(delivered.status, delivered.text).toBe(200);
    expect(delivered.body).toMatchObject({ statuses: 1 });
    const msgs = await call(`/api/tickets/${ticket.id}/messages?limit=1`, { token: tenant.token });
    expect(msgs.body.data[0]).toMatchObject({ id: reply.body.id, status: "delivered", providerMessageId: sid });
  });
});

describe("WhatsApp over Twilio", () => {
  it("stores a WhatsApp message from whatsapp:+... with the profile name", async () => {
    const { tenant, channel, config, sms } = await setup("whatsapp:+14155238886");
    const sid = messageSid();
    const res = await sms(twilioWhatsAppParams(config.accountSid, { MessageSid: sid }));
    expect(res.status, res.text).toBe(200);
    const ticket = await onlyTicket(tenant.token, channel.id);
    expect(ticket.contact).toMatchObject({ phone: "+5511987654321", name: "Maria Cliente" });
    const msgs = await call(`/api/tickets/${ticket.id}/messages`, { token: tenant.token });
    expect(msgs.body.data[0]).toMatchObject({ type: "text", text: "Oi pelo WhatsApp", providerMessageId: sid });
  });

  it("replies with whatsapp: prefixes; outside the 24-hour window only a content template goes", async () => {
    const { tenant, channel, config, prefix, sms, status } = await setup("whatsapp:+14155238886");
    await sms(twilioWhatsAppParams(config.accountSid, { Body: "oi" }));
    const ticket = await onlyTicket(tenant.token, channel.id);

    const reply = await call(`/api/tickets/${ticket.id}/messages`, {
      token: tenant.token,
      json: { type: "text", text: "Olá!" },
    });
    expect(reply.status, reply.text).toBe(202);
    const [first] = await fakeRequests(prefix);
    expect(Object.fromEntries(new URLSearchParams(first?.body))).toEqual({
      To: "whatsapp:+5511987654321",
      From: "whatsapp:+14155238886",
      Body: "Olá!",
      StatusCallback: `${PUBLIC_URL}/webhooks/twilio/${channel.id}/sms-status`,
    });
    const [row] = await withDb((db) => db.select().from(messages).where(eq(messages.id, reply.body.id)));
    await status(twilioStatusParams(config.accountSid, row?.providerMessageId as string, "read"));
    const read = await call(`/api/tickets/${ticket.id}/messages?limit=1`, { token: tenant.token });
    expect(read.body.data[0]).toMatchObject({ status: "read" });

    // The customer last wrote 25 hours ago: free-form text is refused, a template is sent.
    await withDb((db) =>
      db
        .update(tickets)
        .set({ lastInboundAt: new Date(Date.now() - 25 * 3600 * 1000) })
        .where(eq(tickets.id, ticket.id)),
    );
    const late = await call(`/api/tickets/${ticket.id}/messages`, {
      token: tenant.token,
      json: { type: "text", text: "Ainda aí?" },
    });
    expect(late.status, late.text).toBe(409);
    const template = contentSid();
    const tpl = await call(`/api/tickets/${ticket.id}/messages`, {
      token: tenant.token,
      json: { type: "template", template: { name: template, language: "pt_BR", variables: ["Maria", "amanhã"] } },
    });
    expect(tpl.status, tpl.text).toBe(202);
    const requests = await fakeRequests(prefix);
    expect(requests).toHaveLength(2);
    expect(Object.fromEntries(new URLSearchParams(requests[1]?.body))).toEqual({
      To: "whatsapp:+5511987654321",
      From: "whatsapp:+14155238886",
      ContentSid: template,
      ContentVariables: JSON.stringify({ 1: "Maria", 2: "amanhã" }),
      StatusCallback: `${PUBLIC_URL}/webhooks/twilio/${channel.id}/sms-status`,
    });
    const [sentTpl] = await withDb((db) => db.select().from(messages).where(eq(messages.id, tpl.body.id)));
    expect(sentTpl?.status).toBe("sent");
  });

  it("an SMS channel has no service window", async () => {
    const { tenant, channel, config, sms } = await setup("+14155550100");
    await sms(twilioInboundParams(config.accountSid, { Body: "oi" }));
    const ticket = await onlyTicket(tenant.token, channel.id);
    await withDb((db) =>
      db
        .update(tickets)
        .set({ lastInboundAt: new Date(Date.now() - 72 * 3600 * 1000) })
        .where(eq(tickets.id, ticket.id)),
    );
    const late = await call(`/api/tickets/${ticket.id}/messages`, {
      token: tenant.token,
      json: { type: "text", text: "Ainda aí?" },
    });
    expect(late.status, late.text).toBe(202);
  });
});
