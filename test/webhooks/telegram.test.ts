import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { contactIdentities, messages } from "@/db/schema";
import { channelCounts, withDb } from "../support/db";
import { createTenant, unique } from "../support/fixtures";
import { call, onlyTicket } from "../support/http";
import { createChannel, fakeRequests, scriptFake } from "../support/provider";
import {
  botToken,
  callbackQueryUpdate,
  GROUP_CHAT,
  PRIVATE_CHAT,
  postTelegram,
  telegramMessage,
  telegramUpdate,
} from "../support/telegram";

async function setup(options: { settings?: Record<string, unknown>; config?: Record<string, string> } = {}) {
  const tenant = await createTenant();
  const config = options.config ?? { botToken: botToken() };
  const channel = await createChannel(tenant.token, { type: "telegram", config, settings: options.settings });
  // What setWebhook was given as secret_token (the channel's own, unless config.secretToken is set).
  const secret = channel.webhookUrls.secretToken as string;
  return { tenant, channel, config, secret };
}

describe("Telegram webhook", () => {
  it("returns the webhook URL and the secret token to give setWebhook", async () => {
    const { channel, secret } = await setup();
    expect(channel.webhookUrls).toEqual({
      webhook: `http://localhost:8787/webhooks/telegram/${channel.id}`,
      secretToken: secret,
    });
    expect(secret).toMatch(/^[A-Za-z0-9_-]{24,256}$/);
  });

  it("stores a text message as contact, ticket and message", async () => {
    const { tenant, channel, secret } = await setup();
    const message = telegramMessage({ text: "Olá, quero um orçamento" });
    const res = await postTelegram(channel.id, secret, telegramUpdate(message));
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ messages: 1, duplicates: 0 });
    const ticket = await onlyTicket(tenant.token, channel.id);
    expect(ticket).toMatchObject({
      status: "open",
      number: 1,
      contact: { phone: null, name: "Maria Cliente" },
      unreadCount: 1,
    });
    const msgs = await call(`/api/tickets/${ticket.id}/messages`, { token: tenant.token });
    expect(msgs.body.data[0]).toMatchObject({
      direction: "inbound",
      type: "text",
      text: "Olá, quero um orçamento",
      providerMessageId: `${PRIVATE_CHAT.id}:${message.message_id}`,
      status: "received",
      createdAt: new Date(message.date * 1000).toISOString(),
    });
    const identities = await withDb((db) =>
      db.select().from(contactIdentities).where(eq(contactIdentities.organizationId, tenant.organizationId)),
    );
    expect(identities).toMatchObject([{ kind: "telegram", externalId: String(PRIVATE_CHAT.id) }]);
  });

  it("files a second message of the same chat on the same contact and ticket", async () => {
    const { tenant, channel, secret } = await setup();
    await postTelegram(channel.id, secret, telegramUpdate(telegramMessage({ text: "1" })));
    await postTelegram(channel.id, secret, telegramUpdate(telegramMessage({ text: "2" })));
    const ticket = await onlyTicket(tenant.token, channel.id);
    const msgs = await call(`/api/tickets/${ticket.id}/messages`, { token: tenant.token });
    expect(msgs.body.data.map((m: { text: string }) => m.text)).toEqual(["2", "1"]);
  });

  it("expects the configured secretToken instead of the channel's own when one is set", async () => {
    const secretToken = unique("my_secret-");
    const { channel, secret } = await setup({ config: { botToken: botToken(), secretToken } });
    const payload = telegramUpdate(telegramMessage({ text: "oi" }));
    expect((await postTelegram(channel.id, secret, payload)).status).toBe(401);
    expect(await channelCounts(channel.id)).toEqual({ events: 0, tickets: 0, messages: 0 });
    const res = await postTelegram(channel.id, secretToken, payload);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ messages: 1 });
  });

  it("refuses a secretToken Telegram would not accept", async () => {
    const tenant = await createTenant();
    const res = await call("/api/channels", {
      token: tenant.token,
      json: { type: "telegram", name: "bot", config: { botToken: botToken(), secretToken: "has spaces!" } },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: ["config", "secretToken"] })]),
    );
  });

  it("keeps update ids apart per channel (they are only unique per bot)", async () => {
    const a = await setup();
    const b = await setup();
    const payload = telegramUpdate(telegramMessage({ text: "mesmo update_id" }));
    expect((await postTelegram(a.channel.id, a.secret, payload)).body).toMatchObject({ messages: 1 });
    expect((await postTelegram(b.channel.id, b.secret, payload)).body).toMatchObject({ messages: 1 });
  });

  // How each content maps, button presses included, is in src/channels/telegram/adapter.test.ts;
  // this is the one media case end to end.
  it("stores a photo message with its largest size's file id and its caption", async () => {
    const { tenant, channel, secret } = await setup();
    const photo = [
      { file_id: "AgAD-small", file_unique_id: "s", width: 90, height: 60, file_size: 1200 },
      { file_id: "AgAD-large", file_unique_id: "l", width: 1280, height: 853, file_size: 98000 },
      { file_id: "AgAD-medium", file_unique_id: "m", width: 320, height: 213, file_size: 14000 },
    ];
    const res = await postTelegram(channel.id, secret, telegramUpdate(telegramMessage({ photo, caption: "foto" })));
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ messages: 1 });
    const ticket = await onlyTicket(tenant.token, channel.id);
    const msgs = await call(`/api/tickets/${ticket.id}/messages`, { token: tenant.token });
    expect(msgs.body.data[0]).toMatchObject({
      type: "image",
      text: "foto",
      media: { providerMediaId: "AgAD-large", caption: "foto" },
    });
  });

  it("ignores group chats, edits, channel posts and other updates, storing nothing", async () => {
    const { channel, secret } = await setup();
    const edited = telegramMessage({ text: "editada", edit_date: Math.floor(Date.now() / 1000) });
    for (const payload of [
      telegramUpdate(telegramMessage({ text: "no grupo" }, GROUP_CHAT)),
      telegramUpdate(telegramMessage({ text: "no grupo" }, { id: -4012345, title: "Grupo", type: "group" })),
      callbackQueryUpdate("x", { chat: GROUP_CHAT }),
      telegramUpdate(edited, "edited_message"),
      telegramUpdate(
        telegramMessage({ text: "post" }, { id: -1009876, title: "Canal", type: "channel" }),
        "channel_post",
      ),
      telegramUpdate(telegramMessage({ new_chat_members: [{ id: 1, is_bot: false, first_name: "Ana" }] })),
      {
        update_id: 1,
        my_chat_member: {
          chat: PRIVATE_CHAT,
          from: { id: 1, is_bot: false, first_name: "A" },
          date: 1,
          old_chat_member: {},
          new_chat_member: {},
        },
      },
    ]) {
      const res = await postTelegram(channel.id, secret, payload);
      expect(res.status, res.text).toBe(200);
      expect(res.body, JSON.stringify(payload)).toMatchObject({ messages: 0, ignored: 1 });
    }
    expect(await channelCounts(channel.id)).toEqual({ events: 0, tickets: 0, messages: 0 });
  });

  it("keeps contents it does not map, or cannot read, as unsupported messages", async () => {
    const { tenant, channel, secret } = await setup();
    for (const [message, providerType] of [
      [telegramMessage({ poll: { id: "1", question: "?", options: [] } }), "poll"],
      [telegramMessage({ photo: [{ width: 90, height: 90 }] }), "photo"],
    ] as const) {
      const res = await postTelegram(channel.id, secret, telegramUpdate(message));
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ messages: 1, ignored: 0 });
      const msgs = await call(`/api/tickets/${(await onlyTicket(tenant.token, channel.id)).id}/messages`, {
        token: tenant.token,
      });
      expect(msgs.body.data[0]).toMatchObject({ type: "unsupported", content: { providerType, raw: message } });
    }
  });

  it("stores group messages as the group's conversation when the channel takes groups in", async () => {
    const { tenant, channel, secret } = await setup({ settings: { ignoreGroups: false } });
    const res = await postTelegram(channel.id, secret, telegramUpdate(telegramMessage({ text: "oi" }, GROUP_CHAT)));
    expect(res.body).toMatchObject({ messages: 1 });
    const ticket = await onlyTicket(tenant.token, channel.id);
    expect(ticket.contact).toMatchObject({ name: "Clientes VIP", phone: null });
  });

  it("sends a reply to the chat through the bot", async () => {
    const { tenant, channel, config, secret } = await setup();
    await postTelegram(channel.id, secret, telegramUpdate(telegramMessage({ text: "oi" })));
    const ticket = await onlyTicket(tenant.token, channel.id);
    const sent = await call(`/api/tickets/${ticket.id}/messages`, {
      token: tenant.token,
      json: { type: "text", text: "Olá! Como posso ajudar?" },
    });
    expect(sent.status, sent.text).toBe(202);

    const requests = await fakeRequests(`/telegram/bot${config.botToken}/`);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.method).toBe("POST");
    expect(requests[0]?.path).toBe(`/telegram/bot${config.botToken}/sendMessage`);
    expect(requests[0]?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(requests[0]?.body ?? "")).toEqual({ chat_id: PRIVATE_CHAT.id, text: "Olá! Como posso ajudar?" });

    const [outbound] = await withDb((db) => db.select().from(messages).where(eq(messages.id, sent.body.id)));
    expect(outbound?.status).toBe("sent");
    expect(outbound?.providerMessageId).toMatch(new RegExp(`^${PRIVATE_CHAT.id}:\\d+$`));
  });

  it("sends media with the method of its kind", async () => {
    const { tenant, channel, config, secret } = await setup();
    await postTelegram(channel.id, secret, telegramUpdate(telegramMessage({ text: "oi" })));
    const ticket = await onlyTicket(tenant.token, channel.id);
    const media = [
      { mediaType: "image", mediaUrl: "https://cdn.example.com/foto.jpg", caption: "veja" },
      { mediaType: "audio", mediaUrl: "https://cdn.example.com/audio.mp3" },
      { mediaType: "video", mediaUrl: "https://cdn.example.com/video.mp4", caption: "vídeo" },
      { mediaType: "document", mediaUrl: "https://cdn.example.com/nota.pdf" },
    ];
    for (const m of media) {
      const res = await call(`/api/tickets/${ticket.id}/messages`, {
        token: tenant.token,
        json: { type: "media", ...m },
      });
      expect(res.status, res.text).toBe(202);
    }
    const requests = await fakeRequests(`/telegram/bot${config.botToken}/`);
    const base = `/telegram/bot${config.botToken}`;
    const chat_id = PRIVATE_CHAT.id;
    expect(requests.map((r) => [r.path, JSON.parse(r.body)])).toEqual([
      [`${base}/sendPhoto`, { chat_id, photo: media[0]?.mediaUrl, caption: "veja" }],
      [`${base}/sendAudio`, { chat_id, audio: media[1]?.mediaUrl }],
      [`${base}/sendVideo`, { chat_id, video: media[2]?.mediaUrl, caption: "vídeo" }],
      [`${base}/sendDocument`, { chat_id, document: media[3]?.mediaUrl }],
    ]);
  });

  it("fails a template without calling Telegram, and a message Telegram refuses", async () => {
    const { tenant, channel, config, secret } = await setup();
    await postTelegram(channel.id, secret, telegramUpdate(telegramMessage({ text: "oi" })));
    const ticket = await onlyTicket(tenant.token, channel.id);
    const template = await call(`/api/tickets/${ticket.id}/messages`, {
      token: tenant.token,
      json: { type: "template", template: { name: "boas_vindas", language: "pt_BR" } },
    });
    let [row] = await withDb((db) => db.select().from(messages).where(eq(messages.id, template.body.id)));
    expect(row).toMatchObject({ status: "failed", error: { code: "template_unsupported" } });
    expect(await fakeRequests(`/telegram/bot${config.botToken}/`)).toHaveLength(0);

    await scriptFake(`/telegram/bot${config.botToken}/`, [
      { status: 403, body: { ok: false, error_code: 403, description: "Forbidden: bot was blocked by the user" } },
    ]);
    const blocked = await call(`/api/tickets/${ticket.id}/messages`, {
      token: tenant.token,
      json: { type: "text", text: "oi" },
    });
    [row] = await withDb((db) => db.select().from(messages).where(eq(messages.id, blocked.body.id)));
    expect(row).toMatchObject({
      status: "failed",
      error: { code: "403", message: "Forbidden: bot was blocked by the user" },
    });
  });

  it("simulates sends for a channel without a bot token", async () => {
    const { tenant, channel, secret } = await setup({ config: {} });
    await postTelegram(channel.id, secret, telegramUpdate(telegramMessage({ text: "oi" })));
    const ticket = await onlyTicket(tenant.token, channel.id);
    const sent = await call(`/api/tickets/${ticket.id}/messages`, {
      token: tenant.token,
      json: { type: "text", text: "simulada" },
    });
    const [row] = await withDb((db) => db.select().from(messages).where(eq(messages.id, sent.body.id)));
    expect(row?.status).toBe("simulated");
  });
});
