import { describe, expect, inject, it } from "vitest";
import { fakeRequests, scriptFake } from "../../../test/support/provider";
import {
  botToken,
  callbackQueryUpdate,
  GROUP_CHAT,
  PRIVATE_CHAT,
  telegramMessage,
  telegramUpdate,
} from "../../../test/support/telegram";
import { ProviderError } from "../http";
import { channelSettings } from "../settings";
import {
  MalformedPayloadError,
  type OutboundMessage,
  type ProviderContext,
  type Recipient,
  type WebhookRequest,
} from "../types";
import { telegramAdapter } from "./adapter";

const defaults = channelSettings.parse({});
const CHANNEL = "01930000-0000-7000-8000-0000000000aa";

function webhook(body: unknown, secret?: string): WebhookRequest {
  const headers = new Headers({ "content-type": "application/json" });
  if (secret !== undefined) headers.set("X-Telegram-Bot-Api-Secret-Token", secret);
  return {
    channelId: CHANNEL,
    method: "POST",
    url: `http://localhost:8787/webhooks/telegram/${CHANNEL}`,
    headers,
    rawBody: typeof body === "string" ? body : JSON.stringify(body),
  };
}

const parse = (body: unknown, settings = defaults) => telegramAdapter.parse(webhook(body), {}, settings);

const ctx = (): ProviderContext => ({
  baseUrl: `${inject("fakesUrl")}/telegram`,
  fetch,
  publicUrl: "http://localhost:8787",
  channelId: CHANNEL,
});
const maria: Recipient = { identity: { kind: "telegram", externalId: String(PRIVATE_CHAT.id) } };
const text: OutboundMessage = { kind: "text", text: "Olá" };

async function sendError(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe("telegramAdapter.verify", () => {
  it("checks the secret token header against the channel's secret", async () => {
    expect(await telegramAdapter.verify(webhook({}, "chan-secret"), {}, "chan-secret")).toBe(true);
    expect(await telegramAdapter.verify(webhook({}, "other"), {}, "chan-secret")).toBe(false);
    expect(await telegramAdapter.verify(webhook({}), {}, "chan-secret")).toBe(false);
    expect(await telegramAdapter.verify(webhook({}, ""), {}, "")).toBe(false);
  });

  it("checks it against config.secretToken instead when one is set", async () => {
    const cfg = { secretToken: "configured_1" };
    expect(await telegramAdapter.verify(webhook({}, "configured_1"), cfg, "chan-secret")).toBe(true);
    expect(await telegramAdapter.verify(webhook({}, "chan-secret"), cfg, "chan-secret")).toBe(false);
  });
});

describe("telegramAdapter.parse", () => {
  it("normalizes a private text message", () => {
    const message = telegramMessage({ text: "oi" });
    const update = telegramUpdate(message);
    expect(parse(update)).toEqual([
      {
        kind: "message",
        idempotencyKey: `${CHANNEL}:${update.update_id}`,
        providerMessageId: `${PRIVATE_CHAT.id}:${message.message_id}`,
        from: { identity: { kind: "telegram", externalId: String(PRIVATE_CHAT.id) }, name: "Maria Cliente" },
        timestamp: new Date(message.date * 1000),
        type: "text",
        text: "oi",
      },
    ]);
  });

  it("names the sender by username when there is no name", () => {
    const [event] = parse(
      telegramUpdate({
        ...telegramMessage({ text: "oi" }),
        from: { id: 5, is_bot: false, first_name: "", username: "ze" },
      }),
    );
    expect(event).toMatchObject({ from: { name: "ze" } });
  });

  it("takes the largest photo size and the caption", () => {
    const [event] = parse(
      telegramUpdate(
        telegramMessage({
          photo: [
            { file_id: "small", file_unique_id: "1", width: 90, height: 67 },
            { file_id: "big", file_unique_id: "3", width: 1280, height: 960 },
            { file_id: "mid", file_unique_id: "2", width: 320, height: 240 },
          ],
          caption: "olha",
        }),
      ),
    );
    expect(event).toMatchObject({ type: "image", text: "olha", media: { providerMediaId: "big", caption: "olha" } });
  });

  it("marks a voice message as a voice note", () => {
    const [event] = parse(
      telegramUpdate(
        telegramMessage({ voice: { file_id: "v1", file_unique_id: "u", duration: 3, mime_type: "audio/ogg" } }),
      ),
    );
    expect(event).toMatchObject({
      type: "audio",
      media: { providerMediaId: "v1", mimeType: "audio/ogg", voice: true },
    });
  });

  it("maps GIFs and video notes to video, and sticker kinds to their mime types", () => {
    const gif = { file_id: "g1", file_unique_id: "u", width: 1, height: 1, duration: 1, mime_type: "video/mp4" };
    expect(parse(telegramUpdate(telegramMessage({ animation: gif, document: gif })))[0]).toMatchObject({
      type: "video",
      media: { providerMediaId: "g1" },
    });
    expect(
      parse(
        telegramUpdate(telegramMessage({ video_note: { file_id: "n1", file_unique_id: "u", length: 1, duration: 1 } })),
      )[0],
    ).toMatchObject({ type: "video", media: { providerMediaId: "n1" } });
    const sticker = {
      file_id: "s1",
      file_unique_id: "u",
      type: "regular",
      width: 1,
      height: 1,
      is_animated: true,
      is_video: false,
    };
    expect(parse(telegramUpdate(telegramMessage({ sticker })))[0]).toMatchObject({
      type: "sticker",
      media: { providerMediaId: "s1", mimeType: "application/x-tgsticker" },
    });
  });

  it("maps a shared contact to the contacts content", () => {
    const [event] = parse(
      telegramUpdate(telegramMessage({ contact: { phone_number: "5511911112222", first_name: "Ana" } })),
    );
    expect(event).toMatchObject({
      type: "contact",
      content: { contacts: [{ name: { formatted_name: "Ana" }, phones: [{ phone: "5511911112222" }] }] },
    });
  });

  it.each([
    [
      {
        photo: [
          { file_id: "AgAD-small", file_unique_id: "s", width: 90, height: 60, file_size: 1200 },
          { file_id: "AgAD-large", file_unique_id: "l", width: 1280, height: 853, file_size: 98000 },
          { file_id: "AgAD-medium", file_unique_id: "m", width: 320, height: 213, file_size: 14000 },
        ],
        caption: "foto",
      },
      { type: "image", text: "foto", media: { providerMediaId: "AgAD-large", caption: "foto" } },
    ],
    [
      { voice: { file_id: "AwAD-voice", file_unique_id: "v", duration: 4, mime_type: "audio/ogg", file_size: 9000 } },
      { type: "audio", media: { providerMediaId: "AwAD-voice", mimeType: "audio/ogg" } },
    ],
    [
      {
        audio: {
          file_id: "CQAD-audio",
          file_unique_id: "a",
          duration: 180,
          file_name: "musica.mp3",
          mime_type: "audio/mpeg",
        },
      },
      { type: "audio", media: { providerMediaId: "CQAD-audio", mimeType: "audio/mpeg", filename: "musica.mp3" } },
    ],
    [
      { document: { file_id: "BQAD-doc", file_unique_id: "d", file_name: "nota.pdf", mime_type: "application/pdf" } },
      { type: "document", media: { providerMediaId: "BQAD-doc", filename: "nota.pdf", mimeType: "application/pdf" } },
    ],
    [
      {
        video: {
          file_id: "BAAD-video",
          file_unique_id: "v",
          width: 640,
          height: 360,
          duration: 9,
          mime_type: "video/mp4",
        },
        caption: "vídeo",
      },
      { type: "video", text: "vídeo", media: { providerMediaId: "BAAD-video", mimeType: "video/mp4" } },
    ],
    [
      { location: { latitude: -23.55, longitude: -46.63 } },
      { type: "location", content: { latitude: -23.55, longitude: -46.63 } },
    ],
    [
      {
        venue: { location: { latitude: -23.56, longitude: -46.65 }, title: "MASP", address: "Av. Paulista, 1578" },
        location: { latitude: -23.56, longitude: -46.65 },
      },
      {
        type: "location",
        content: { latitude: -23.56, longitude: -46.65, name: "MASP", address: "Av. Paulista, 1578" },
      },
    ],
    [
      { contact: { phone_number: "+5511911112222", first_name: "João", last_name: "Silva", user_id: 5551234 } },
      {
        type: "contact",
        content: { contacts: [{ name: { formatted_name: "João Silva" }, phones: [{ phone: "+5511911112222" }] }] },
      },
    ],
    [
      {
        sticker: {
          file_id: "CAAD-sticker",
          file_unique_id: "st",
          type: "regular",
          width: 512,
          height: 512,
          is_animated: false,
          is_video: false,
          emoji: "😀",
        },
      },
      { type: "sticker", media: { providerMediaId: "CAAD-sticker", mimeType: "image/webp" } },
    ],
  ])("maps the content %j", (content, expected) => {
    const events = parse(telegramUpdate(telegramMessage(content)));
    expect(events, JSON.stringify(events)).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: "message", ...expected });
  });

  it("maps an inline button press to an interactive reply with the button's text", () => {
    const update = callbackQueryUpdate("plan_2", { buttonText: "Plano 2" });
    expect(parse(update)).toEqual([
      {
        kind: "message",
        idempotencyKey: `${CHANNEL}:${update.update_id}`,
        providerMessageId: `${PRIVATE_CHAT.id}:callback:${update.callback_query.id}`,
        from: { identity: { kind: "telegram", externalId: String(PRIVATE_CHAT.id) }, name: "Maria Cliente" },
        timestamp: expect.any(Date),
        type: "interactive",
        text: "plan_2",
        content: { replyId: "plan_2", title: "Plano 2" },
      },
    ]);
    const { message: _message, ...inline } = update.callback_query;
    expect(parse({ update_id: 1, callback_query: { ...inline, inline_message_id: "AAA" } })[0]).toMatchObject({
      kind: "message",
      from: { identity: { externalId: String(PRIVATE_CHAT.id) } },
      content: { title: "plan_2" },
    });
    const { data: _data, ...game } = update.callback_query;
    expect(parse({ update_id: 2, callback_query: { ...game, game_short_name: "g" } })[0]).toMatchObject({
      kind: "ignored",
    });
  });

  it("ignores groups unless the channel takes them in, then files them under the group", () => {
    const update = telegramUpdate(telegramMessage({ text: "oi" }, GROUP_CHAT));
    expect(parse(update)).toEqual([{ kind: "ignored", reason: "supergroup chat" }]);
    expect(parse(update, { ...defaults, ignoreGroups: false })[0]).toMatchObject({
      kind: "message",
      from: { identity: { kind: "telegram", externalId: String(GROUP_CHAT.id) }, name: "Clientes VIP" },
    });
  });

  it("ignores edits, channel posts, membership changes and service messages", () => {
    expect(parse(telegramUpdate(telegramMessage({ text: "x", edit_date: 1 }), "edited_message"))).toEqual([
      { kind: "ignored", reason: "update edited_message" },
    ]);
    expect(parse(telegramUpdate(telegramMessage({ text: "x" }), "channel_post"))[0]).toMatchObject({ kind: "ignored" });
    expect(parse({ update_id: 3, my_chat_member: {} })).toEqual([{ kind: "ignored", reason: "update my_chat_member" }]);
    expect(parse({ update_id: 4, my_chat_member: { chat: PRIVATE_CHAT, date: 1 } })).toEqual([
      { kind: "ignored", reason: "update my_chat_member" },
    ]);
    expect(parse({ update_id: 5, inline_query: { id: "1", from: { id: 1 }, query: "x" } })).toEqual([
      { kind: "ignored", reason: "update inline_query" },
    ]);
    expect(parse(telegramUpdate(telegramMessage({ new_chat_members: [{ id: 1, first_name: "Ana" }] })))).toEqual([
      { kind: "ignored", reason: "service message new_chat_members" },
    ]);
  });

  it("keeps contents it does not map, and contents that do not read, as unsupported messages", () => {
    const message = telegramMessage({ dice: { emoji: "🎲", value: 4 } });
    const update = telegramUpdate(message);
    expect(parse(update)).toEqual([
      expect.objectContaining({
        kind: "message",
        idempotencyKey: `${CHANNEL}:${update.update_id}`,
        providerMessageId: `${PRIVATE_CHAT.id}:${message.message_id}`,
        type: "unsupported",
        content: { providerType: "dice", raw: message },
      }),
    ]);
    const broken = telegramMessage({ text: 12 });
    expect(parse(telegramUpdate(broken))[0]).toMatchObject({
      type: "unsupported",
      content: { providerType: "text", raw: broken },
    });
    expect(parse(telegramUpdate(telegramMessage({ photo: [] })))[0]).toMatchObject({
      type: "unsupported",
      content: { providerType: "photo" },
    });
  });

  it("keeps an update kind it does not know as an unsupported message when it happens in a chat", () => {
    const reaction = {
      chat: PRIVATE_CHAT,
      message_id: 12,
      user: { id: PRIVATE_CHAT.id, is_bot: false, first_name: "Maria" },
      date: 1_700_000_000,
      old_reaction: [],
      new_reaction: [{ type: "emoji", emoji: "👍" }],
    };
    expect(parse({ update_id: 6, message_reaction: reaction })).toEqual([
      {
        kind: "message",
        idempotencyKey: `${CHANNEL}:6`,
        providerMessageId: `${PRIVATE_CHAT.id}:message_reaction:6`,
        from: { identity: { kind: "telegram", externalId: String(PRIVATE_CHAT.id) }, name: "Maria" },
        timestamp: new Date(1_700_000_000_000),
        type: "unsupported",
        content: { providerType: "message_reaction", raw: reaction },
      },
    ]);
    expect(parse({ update_id: 7, message_reaction: { ...reaction, chat: GROUP_CHAT } })).toEqual([
      { kind: "ignored", reason: "supergroup chat" },
    ]);
    expect(parse({ update_id: 8, something_new: { id: 1 } })).toEqual([
      { kind: "ignored", reason: "update something_new" },
    ]);
  });

  it("refuses bodies that are not updates", () => {
    const { message_id: _id, ...noId } = telegramMessage();
    for (const body of ["{nope", "null", "42", {}, { update_id: 1.5 }, telegramUpdate(noId)]) {
      expect(() => parse(body), JSON.stringify(body)).toThrow(MalformedPayloadError);
    }
    expect(() => parse({ update_id: 1, message: { ...telegramMessage(), chat: { id: "x" } } })).toThrow(
      "message.chat.id: ",
    );
  });
});

describe("telegramAdapter.send", () => {
  it("calls sendMessage with the bot token and returns chat:message_id", async () => {
    const token = botToken();
    const result = await telegramAdapter.send(ctx(), { botToken: token }, maria, text);
    expect(result.providerMessageId).toMatch(new RegExp(`^${PRIVATE_CHAT.id}:\\d+$`));
    const requests = await fakeRequests(`/telegram/bot${token}/`);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.path).toBe(`/telegram/bot${token}/sendMessage`);
    expect(JSON.parse(requests[0]?.body ?? "")).toEqual({ chat_id: PRIVATE_CHAT.id, text: "Olá" });
  });

  it("keeps a negative group chat id", async () => {
    const token = botToken();
    const group: Recipient = { identity: { kind: "telegram", externalId: String(GROUP_CHAT.id) } };
    const result = await telegramAdapter.send(ctx(), { botToken: token }, group, text);
    expect(result.providerMessageId.startsWith(`${GROUP_CHAT.id}:`)).toBe(true);
    const [request] = await fakeRequests(`/telegram/bot${token}/`);
    expect(JSON.parse(request?.body ?? "")).toMatchObject({ chat_id: GROUP_CHAT.id });
  });

  it("honours retry_after from the body of a 429 without calling again", async () => {
    const token = botToken();
    await scriptFake(`/telegram/bot${token}/`, [
      {
        status: 429,
        body: {
          ok: false,
          error_code: 429,
          description: "Too Many Requests: retry after 17",
          parameters: { retry_after: 17 },
        },
      },
    ]);
    const error = await sendError(telegramAdapter.send(ctx(), { botToken: token }, maria, text));
    expect(error.message).toBe("Too Many Requests: retry after 17");
    expect(error.options).toMatchObject({ status: 429, retryable: true, retryAfter: 17, code: "429" });
    expect(await fakeRequests(`/telegram/bot${token}/`)).toHaveLength(1);
  });

  it("waits out a short retry_after in place and succeeds", async () => {
    const token = botToken();
    await scriptFake(`/telegram/bot${token}/`, [
      {
        status: 429,
        body: {
          ok: false,
          error_code: 429,
          description: "Too Many Requests: retry after 1",
          parameters: { retry_after: 1 },
        },
      },
    ]);
    const result = await telegramAdapter.send(ctx(), { botToken: token }, maria, text);
    expect(result.providerMessageId).toMatch(/^\d+:\d+$/);
    const requests = await fakeRequests(`/telegram/bot${token}/`);
    expect(requests).toHaveLength(2);
    expect((requests[1]?.at ?? 0) - (requests[0]?.at ?? 0)).toBeGreaterThanOrEqual(900);
  });

  it("surfaces repeated 5xx as retryable", async () => {
    const token = botToken();
    await scriptFake(
      `/telegram/bot${token}/`,
      Array.from({ length: 3 }, () => ({
        status: 502,
        body: { ok: false, error_code: 502, description: "Bad Gateway" },
      })),
    );
    const error = await sendError(telegramAdapter.send(ctx(), { botToken: token }, maria, text));
    expect(error.options).toMatchObject({ status: 502, retryable: true, code: "502" });
  });

  it("answers a 400 as final with Telegram's description", async () => {
    const token = botToken();
    await scriptFake(`/telegram/bot${token}/`, [
      { status: 400, body: { ok: false, error_code: 400, description: "Bad Request: chat not found" } },
    ]);
    const error = await sendError(telegramAdapter.send(ctx(), { botToken: token }, maria, text));
    expect(error.message).toBe("Bad Request: chat not found");
    expect(error.options).toMatchObject({ status: 400, retryable: false, code: "400" });
  });

  it("refuses templates and recipients without a Telegram chat without calling Telegram", async () => {
    const token = botToken();
    const template = await sendError(
      telegramAdapter.send(ctx(), { botToken: token }, maria, { kind: "template", name: "x", language: "pt_BR" }),
    );
    expect(template.options).toMatchObject({ retryable: false, code: "template_unsupported" });
    const phoneOnly = await sendError(
      telegramAdapter.send(ctx(), { botToken: token }, { phone: "+5511987654321" }, text),
    );
    expect(phoneOnly.options).toMatchObject({ retryable: false });
    const otherKind = await sendError(
      telegramAdapter.send(ctx(), { botToken: token }, { identity: { kind: "zapi", externalId: "1" } }, text),
    );
    expect(otherKind.options).toMatchObject({ retryable: false });
    expect(await fakeRequests(`/telegram/bot${token}/`)).toHaveLength(0);
  });
});

describe("telegramAdapter config", () => {
  it("validates the bot token and secret token formats", () => {
    expect(telegramAdapter.configSchema.safeParse({}).success).toBe(true);
    expect(telegramAdapter.configSchema.safeParse({ botToken: "123456:AAF-x_y" }).success).toBe(true);
    expect(telegramAdapter.configSchema.safeParse({ botToken: "not a token" }).success).toBe(false);
    expect(telegramAdapter.configSchema.safeParse({ secretToken: "ok_Secret-1" }).success).toBe(true);
    expect(telegramAdapter.configSchema.safeParse({ secretToken: "no spaces" }).success).toBe(false);
    expect(telegramAdapter.sendFields).toEqual(["botToken"]);
    expect(telegramAdapter.webhookUrls("https://sb.example", "c1", "sec")).toEqual({
      webhook: "https://sb.example/webhooks/telegram/c1",
      secretToken: "sec",
    });
  });
});
