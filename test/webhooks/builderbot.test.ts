import { eq } from "drizzle-orm";
import { describe, expect, inject, it } from "vitest";
import { messages } from "@/db/schema";
import { builderbotIncoming, builderbotOutgoing, postBuilderbot, uniqueText } from "../support/builderbot";
import { channelCounts, withDb } from "../support/db";
import { createTenant, unique } from "../support/fixtures";
import { call, onlyTicket } from "../support/http";
import { createChannel, fakeRequests } from "../support/provider";

async function setup(extra: Record<string, string> = {}) {
  const tenant = await createTenant();
  const config = { apiKey: unique("bbkey"), botId: unique("bot"), webhookToken: unique("whtoken"), ...extra };
  const channel = await createChannel(tenant.token, { type: "whatsapp_builderbot", config });
  return {
    tenant,
    channel,
    config,
    /** The fake's path prefix for this bot: unique per test. */
    prefix: `/builderbot/api/v2/${config.botId}/`,
    post: (payload: unknown, token: string | null = config.webhookToken) => postBuilderbot(channel.id, token, payload),
  };
}

describe("BuilderBot webhook", () => {
  it("stores an incoming message as contact, ticket and message", async () => {
    const { tenant, channel, post } = await setup();
    const res = await post(builderbotIncoming({ body: "Olá, quero um orçamento" }));
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ messages: 1, duplicates: 0 });
    const ticket = await onlyTicket(tenant.token, channel.id);
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
      status: "received",
    });
    expect(msgs.body.data[0].providerMessageId).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it("falls back to the channel's webhook secret when no webhookToken is configured", async () => {
    const tenant = await createTenant();
    const channel = await createChannel(tenant.token, {
      type: "whatsapp_builderbot",
      config: { apiKey: unique("bbkey"), botId: unique("bot") },
    });
    expect(channel.webhookUrls.webhook).toBe(`http://localhost:8787/webhooks/builderbot/${channel.id}`);
    const secret = channel.webhookUrls.defaultWebhookToken as string;
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect((await postBuilderbot(channel.id, "guess", builderbotIncoming())).status).toBe(401);
    const res = await postBuilderbot(channel.id, secret, builderbotIncoming());
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ messages: 1 });
  });

  it("stores a duplicate delivery once, and two different messages twice", async () => {
    const { channel, post } = await setup();
    const payload = builderbotIncoming({ body: "duplicado" });
    const first = await post(payload);
    const second = await post(payload);
    expect(first.body).toMatchObject({ messages: 1, duplicates: 0 });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ messages: 0, duplicates: 1 });
    expect(await channelCounts(channel.id)).toEqual({ events: 1, tickets: 1, messages: 1 });
    await post(builderbotIncoming({ body: "outra coisa" }));
    expect(await channelCounts(channel.id)).toEqual({ events: 2, tickets: 1, messages: 2 });
  });

  it("stores the same body delivered to two channels on each", async () => {
    const a = await setup();
    const b = await setup();
    const payload = builderbotIncoming({ body: "oi" });
    expect((await a.post(payload)).body).toMatchObject({ messages: 1 });
    expect((await b.post(payload)).body).toMatchObject({ messages: 1 });
  });

  it("ignores the bot's own outgoing messages, groups and empty messages", async () => {
    const { channel, post } = await setup();
    for (const payload of [
      builderbotOutgoing(),
      builderbotIncoming({ from: "120363025246125486@g.us" }),
      builderbotIncoming({ body: "", attachment: [] }),
      { eventName: "message.calling", data: { from: "5511987654321" } },
    ]) {
      const res = await post(payload);
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ messages: 0, ignored: 1 });
    }
    expect(await channelCounts(channel.id)).toEqual({ events: 0, tickets: 0, messages: 0 });
  });

  it("keeps content it cannot read, or a placeholder without its file, as unsupported messages", async () => {
    const { tenant, channel, post } = await setup();
    for (const [data, providerType] of [
      [{ body: "x", from: "5511987654321", attachment: 7 }, "message"],
      [{ body: "_event_location__0a1b2c3d", attachment: [] }, "location"],
    ] as const) {
      const payload = builderbotIncoming(data);
      const res = await post(payload);
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ messages: 1, ignored: 0 });
      const msgs = await call(`/api/tickets/${(await onlyTicket(tenant.token, channel.id)).id}/messages`, {
        token: tenant.token,
      });
      expect(msgs.body.data[0]).toMatchObject({ type: "unsupported", content: { providerType, raw: payload.data } });
    }
  });

  // How each attachment maps is in src/channels/builderbot/adapter.test.ts; this is the one media case end to end.
  it("stores an image behind a media placeholder, without the placeholder as text", async () => {
    const { tenant, channel, post } = await setup();
    const res = await post(
      builderbotIncoming({
        body: "_event_media__0a1b2c3d-4e5f-6789-abcd-ef0123456789",
        attachment: [{ url: "https://bb-files.example.com/t/a.jpeg", mimetype: "image/jpeg" }],
        urlTempFile: "https://bb-files.example.com/t/a.jpeg",
      }),
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ messages: 1 });
    const ticket = await onlyTicket(tenant.token, channel.id);
    const msgs = await call(`/api/tickets/${ticket.id}/messages`, { token: tenant.token });
    expect(msgs.body.data[0]).toMatchObject({
      type: "image",
      text: null,
      media: { url: "https://bb-files.example.com/t/a.jpeg", mimeType: "image/jpeg" },
    });
  });

  it("end to end: inbound, agent replies through the API, one request each to BuilderBot", async () => {
    const { tenant, channel, config, prefix, post } = await setup();
    await post(builderbotIncoming({ body: "Preciso de ajuda" }));
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
    expect(req?.path).toBe(`/builderbot/api/v2/${config.botId}/messages`);
    expect(req?.headers["x-api-builderbot"]).toBe(config.apiKey);
    expect(req?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(req?.body ?? "")).toEqual({
      messages: { content: "Claro! Em que posso ajudar?" },
      number: "5511987654321",
      checkIfExists: false,
    });
    const [outbound] = await withDb((db) => db.select().from(messages).where(eq(messages.id, reply.body.id)));
    expect(outbound).toMatchObject({ status: "sent", direction: "outbound" });
    expect(outbound?.providerMessageId).toMatch(/^bb_/);

    // BuilderBot reports the bot's own answers (message.outgoing), never delivery: nothing changes.
    const echo = await post(builderbotOutgoing({ answer: "Claro! Em que posso ajudar?" }));
    expect(echo.body).toMatchObject({ ignored: 1, statuses: 0 });

    const media = await call(`/api/tickets/${ticket.id}/messages`, {
      token: tenant.token,
      json: {
        type: "media",
        mediaUrl: "https://cdn.example.com/catalogo.pdf",
        mediaType: "document",
        caption: "Catálogo",
      },
    });
    expect(media.status, media.text).toBe(202);
    const all = await fakeRequests(prefix);
    expect(all).toHaveLength(2);
    expect(JSON.parse(all[1]?.body ?? "")).toEqual({
      messages: { content: "Catálogo", mediaUrl: "https://cdn.example.com/catalogo.pdf" },
      number: "5511987654321",
      checkIfExists: false,
    });

    // Templates do not exist on BuilderBot: the message fails at once, nothing is sent.
    const template = await call(`/api/tickets/${ticket.id}/messages`, {
      token: tenant.token,
      json: { type: "template", template: { name: "boas_vindas", language: "pt_BR" } },
    });
    expect(template.status, template.text).toBe(202);
    const [failed] = await withDb((db) => db.select().from(messages).where(eq(messages.id, template.body.id)));
    expect(failed).toMatchObject({ status: "failed", error: { code: "template_unsupported" } });
    expect(await fakeRequests(prefix)).toHaveLength(2);

    const msgs = await call(`/api/tickets/${ticket.id}/messages?order=asc`, { token: tenant.token });
    expect(msgs.body.data.map((m: { status: string }) => m.status)).toEqual(["received", "sent", "sent", "failed"]);
  });

  it("sends to the apiUrl configured on the channel", async () => {
    const botId = unique("bot");
    const { tenant, channel, post } = await setup({ botId, apiUrl: `${inject("fakesUrl")}/builderbot/eu` });
    await post(builderbotIncoming({ body: uniqueText("oi") }));
    const ticket = await onlyTicket(tenant.token, channel.id);
    const reply = await call(`/api/tickets/${ticket.id}/messages`, {
      token: tenant.token,
      json: { type: "text", text: "olá" },
    });
    expect(reply.status, reply.text).toBe(202);
    expect(await fakeRequests(`/builderbot/eu/api/v2/${botId}/`)).toHaveLength(1);
    expect(await fakeRequests(`/builderbot/api/v2/${botId}/`)).toHaveLength(0);
  });
});
