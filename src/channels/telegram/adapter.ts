import * as z from "zod";
import { timingSafeEqual } from "@/platform/crypto";
import { acceptedMessageId, describeWith, ProviderError, providerFetch, readAnswer } from "../http";
import {
  type ContentReader,
  contentReader,
  epochDate,
  type MessageContent,
  presentReader,
  unknownContentKey,
  unsupported,
} from "../inbound";
import { checkStatedSize, fetchMedia } from "../media";
import { parseJson } from "../parse";
import type { ChannelSettings } from "../settings";
import type { ChannelAdapter, InboundEvent, OutboundMessage, Sender } from "../types";
import {
  ENVELOPE_OBJECTS,
  NOT_MESSAGES,
  SERVICE_FIELDS,
  type TelegramCallbackQuery,
  type TelegramChat,
  type TelegramMessage,
  type TelegramUpdate,
  type TelegramUser,
  telegramChatUpdate,
  telegramContact,
  telegramErrorAnswer,
  telegramFile,
  telegramFileInfo,
  telegramLocation,
  telegramPhoto,
  telegramRetryAfter,
  telegramSendAnswer,
  telegramSticker,
  telegramText,
  telegramUpdate,
  telegramVenue,
} from "./payload";

// Telegram Bot API. Contacts are chats (identity kind "telegram", the chat id), never phones.
// Webhooks are authenticated by the secret_token given to setWebhook, echoed by Telegram in the
// X-Telegram-Bot-Api-Secret-Token header: config.secretToken when set, else the channel's
// webhook secret (returned as webhookUrls.secretToken).
const config = z.object({
  botToken: z
    .string()
    .regex(/^\d+:[A-Za-z0-9_-]+$/, "a bot token looks like 123456789:AAF...")
    .optional(),
  secretToken: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,256}$/, "Telegram allows 1-256 characters A-Z, a-z, 0-9, _ and -")
    .optional(),
});
export type TelegramConfig = z.infer<typeof config>;

const GROUP_CHATS = new Set(["group", "supergroup", "channel"]);

/** The Bot API method and its field for each kind of media we send. */
const MEDIA_METHODS = {
  image: ["sendPhoto", "photo"],
  audio: ["sendAudio", "audio"],
  video: ["sendVideo", "video"],
  document: ["sendDocument", "document"],
} as const;

const fullName = (p: { first_name?: string; last_name?: string; username?: string }) =>
  [p.first_name, p.last_name].filter(Boolean).join(" ") || p.username || undefined;

function senderOf(chat: TelegramChat, from: TelegramUser | undefined): Sender {
  const identity = { kind: "telegram", externalId: String(chat.id) };
  // In a group (when groups are taken in) the group is the conversation, named by its title.
  if (GROUP_CHATS.has(chat.type)) return { identity, name: chat.title ?? fullName(chat) };
  return { identity, name: (from && fullName(from)) ?? fullName(chat) };
}

const captionOf = (m: TelegramMessage) => (typeof m.caption === "string" && m.caption ? m.caption : undefined);

type Video = z.infer<typeof telegramFile>;
const durationOf = (file: Video) => (typeof file.duration === "number" ? { durationSeconds: file.duration } : {});
const video = (v: Video, m: TelegramMessage): MessageContent => {
  const caption = captionOf(m);
  return {
    type: "video",
    text: caption,
    media: { providerMediaId: v.file_id, mimeType: v.mime_type, filename: v.file_name, caption },
  };
};

/** Every kind of content Switchboard maps, in the order the message's fields are tried. */
const contentReaders: readonly ContentReader<TelegramMessage>[] = [
  contentReader("text", telegramText, (text) => ({ type: "text", text })),
  contentReader("photo", telegramPhoto, (sizes, m) => {
    // Telegram sends every size it made; the largest is the original.
    const largest = sizes.reduce((a, b) => (b.width * b.height >= a.width * a.height ? b : a));
    const caption = captionOf(m);
    return { type: "image", text: caption, media: { providerMediaId: largest.file_id, caption } };
  }),
  contentReader("voice", telegramFile, (voice) => ({
    type: "audio",
    media: { providerMediaId: voice.file_id, mimeType: voice.mime_type, voice: true, ...durationOf(voice) },
  })),
  contentReader("audio", telegramFile, (audio, m) => {
    const caption = captionOf(m);
    return {
      type: "audio",
      text: caption,
      media: {
        providerMediaId: audio.file_id,
        mimeType: audio.mime_type,
        filename: audio.file_name,
        caption,
        ...durationOf(audio),
      },
    };
  }),
  // A GIF comes as animation (and, for old clients, also as document): it is a silent video.
  contentReader("video", telegramFile, video),
  contentReader("animation", telegramFile, video),
  contentReader("video_note", telegramFile, video),
  contentReader("document", telegramFile, (document, m) => {
    const caption = captionOf(m);
    return {
      type: "document",
      text: caption,
      media: { providerMediaId: document.file_id, mimeType: document.mime_type, filename: document.file_name, caption },
    };
  }),
  contentReader("sticker", telegramSticker, (sticker) => {
    const mimeType = sticker.is_video ? "video/webm" : sticker.is_animated ? "application/x-tgsticker" : "image/webp";
    return {
      type: "sticker",
      media: { providerMediaId: sticker.file_id, mimeType },
      ...(sticker.emoji ? { content: { emoji: sticker.emoji } } : {}),
    };
  }),
  contentReader("venue", telegramVenue, (venue) => {
    const { latitude, longitude } = venue.location;
    return { type: "location", content: { latitude, longitude, name: venue.title, address: venue.address } };
  }),
  contentReader("location", telegramLocation, ({ latitude, longitude }) => ({
    type: "location",
    content: { latitude, longitude },
  })),
  contentReader("contact", telegramContact, (c) => {
    // Shaped like the Cloud API's contacts (name.formatted_name, phones[].phone).
    const contact = {
      name: { formatted_name: fullName(c), first_name: c.first_name, last_name: c.last_name },
      phones: [{ phone: c.phone_number }],
      ...(c.user_id !== undefined ? { telegramUserId: String(c.user_id) } : {}),
      ...(c.vcard ? { vcard: c.vcard } : {}),
    };
    return { type: "contact", content: { contacts: [contact] } };
  }),
];

const groupIgnored = (chat: TelegramChat, settings: ChannelSettings): InboundEvent | null =>
  GROUP_CHATS.has(chat.type) && settings.ignoreGroups ? { kind: "ignored", reason: `${chat.type} chat` } : null;

function inboundEvent(
  channelId: string,
  updateId: number,
  m: TelegramMessage,
  settings: ChannelSettings,
): InboundEvent {
  const ignored = groupIgnored(m.chat, settings);
  if (ignored) return ignored;
  const reader = presentReader(contentReaders, m);
  if (!reader) {
    const service = SERVICE_FIELDS.find((field) => m[field] !== undefined);
    if (service) return { kind: "ignored", reason: `service message ${service}` };
  }
  return {
    kind: "message",
    // Update ids are only unique per bot, and one bot is one channel.
    idempotencyKey: `${channelId}:${updateId}`,
    providerMessageId: `${m.chat.id}:${m.message_id}`,
    from: senderOf(m.chat, m.from),
    timestamp: epochDate(m.date),
    ...(reader ? reader.read(m) : unsupported(unknownContentKey(m, ENVELOPE_OBJECTS), m)),
  };
}

function callbackEvent(
  channelId: string,
  updateId: number,
  q: TelegramCallbackQuery,
  settings: ChannelSettings,
): InboundEvent {
  if (q.data === undefined) return { kind: "ignored", reason: "callback query without data (game)" };
  // Without the message (inline mode) the press came from the user's private chat with the bot.
  const chat: TelegramChat = q.message?.chat ?? { id: q.from.id, type: "private" };
  const ignored = groupIgnored(chat, settings);
  if (ignored) return ignored;
  const button = q.message?.reply_markup?.inline_keyboard?.flat().find((b) => b.callback_data === q.data);
  return {
    kind: "message",
    idempotencyKey: `${channelId}:${updateId}`,
    // Not `${chat}:${message_id}`: that id is the bot's own (outbound) message with the buttons.
    providerMessageId: `${chat.id}:callback:${q.id}`,
    from: senderOf(chat, q.from),
    // A callback query carries no date of its own.
    timestamp: new Date(),
    type: "interactive",
    text: q.data,
    content: { replyId: q.data, title: button?.text ?? q.data },
  };
}

/** An update kind Switchboard does not know: a customer's message when it names a chat, else ignored. */
function otherEvent(
  channelId: string,
  update: Record<string, unknown> & { update_id: number },
  settings: ChannelSettings,
): InboundEvent {
  const kind = Object.keys(update).find((key) => key !== "update_id") ?? "empty update";
  const value = update[kind];
  const inChat = NOT_MESSAGES.has(kind) ? undefined : telegramChatUpdate.safeParse(value);
  if (!inChat?.success) return { kind: "ignored", reason: `update ${kind}` };
  const { chat, from, user, date } = inChat.data;
  const ignored = groupIgnored(chat, settings);
  if (ignored) return ignored;
  return {
    kind: "message",
    idempotencyKey: `${channelId}:${update.update_id}`,
    providerMessageId: `${chat.id}:${kind}:${update.update_id}`,
    from: senderOf(chat, from ?? user),
    timestamp: epochDate(date),
    ...unsupported(kind, value),
  };
}

function inboundEvents(channelId: string, update: TelegramUpdate, settings: ChannelSettings): InboundEvent[] {
  if (update.message) return [inboundEvent(channelId, update.update_id, update.message, settings)];
  if (update.callback_query) return [callbackEvent(channelId, update.update_id, update.callback_query, settings)];
  return [otherEvent(channelId, update, settings)];
}

function requestBody(
  chatId: string | number,
  message: OutboundMessage,
): { method: string; body: Record<string, unknown> } {
  switch (message.kind) {
    case "text":
      return { method: "sendMessage", body: { chat_id: chatId, text: message.text } };
    case "media": {
      const caption = message.caption ? { caption: message.caption } : {};
      const [name, field] = MEDIA_METHODS[message.mediaType];
      return { method: name, body: { chat_id: chatId, [field]: message.mediaUrl, ...caption } };
    }
    case "template":
      throw new ProviderError("Telegram has no template messages; send text or media", {
        retryable: false,
        code: "template_unsupported",
      });
  }
}

/**
 * Telegram states the wait of a 429 in the body (parameters.retry_after), not in a Retry-After
 * header; this copies it into the header so providerFetch's retry policy honours it.
 */
function withRetryAfter(fetcher: typeof fetch): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const response = await fetcher(input, init);
    if (response.status !== 429 || response.headers.has("retry-after")) return response;
    const text = await response.text();
    const retryAfter = readAnswer(text, telegramRetryAfter);
    const headers = new Headers(response.headers);
    if (retryAfter !== undefined) headers.set("retry-after", String(retryAfter));
    return new Response(text, { status: response.status, statusText: response.statusText, headers });
  }) as typeof fetch;
}

export const telegramAdapter: ChannelAdapter<TelegramConfig> = {
  type: "telegram",
  provider: "telegram",
  baseUrlEnv: "TELEGRAM_API_URL",
  defaultBaseUrl: "https://api.telegram.org",
  configSchema: config,
  sendFields: ["botToken"],
  serviceWindow: () => false,

  // setWebhook(url = webhook, secret_token = secretToken), unless the channel's config sets its own
  // secretToken: then that one is what Telegram must send.
  webhookRoutes: [{ method: "POST" }],
  webhookUrls: (publicUrl, channelId, webhookSecret) => ({
    webhook: `${publicUrl}/webhooks/telegram/${channelId}`,
    secretToken: webhookSecret,
  }),

  async verify(request, cfg, webhookSecret) {
    const expected = cfg.secretToken || webhookSecret;
    if (!expected) return false;
    return timingSafeEqual(request.headers.get("x-telegram-bot-api-secret-token") ?? "", expected);
  },

  parse(request, _cfg, settings) {
    return inboundEvents(request.channelId, parseJson(request.rawBody, telegramUpdate), settings);
  },

  async send(ctx, cfg, to, message) {
    if (to.identity?.kind !== "telegram" || !to.identity.externalId) {
      throw new ProviderError("Telegram can only answer a Telegram chat (the contact has no Telegram chat id)", {
        retryable: false,
        code: "no_recipient",
      });
    }
    const externalId = to.identity.externalId;
    const chatId = /^-?\d{1,15}$/.test(externalId) ? Number(externalId) : externalId;
    const { method, body } = requestBody(chatId, message);
    const response = await providerFetch(
      withRetryAfter(ctx.fetch),
      `${ctx.baseUrl}/bot${cfg.botToken ?? ""}/${method}`,
      { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) },
      { describe: describeWith(telegramErrorAnswer) },
    );
    const messageId = await acceptedMessageId("Telegram", response, telegramSendAnswer);
    return { providerMessageId: `${externalId}:${messageId}` };
  },

  // getFile turns a file_id into a file_path, valid for an hour, under /file/bot<token>/. The Bot
  // API serves files up to 20 MB; the stated size is checked before the download.
  async downloadMedia(ctx, cfg, media, limits) {
    if (!cfg.botToken) {
      throw new ProviderError("the channel has no botToken to download files with", {
        retryable: false,
        code: "not_configured",
      });
    }
    if (!media.providerMediaId) {
      throw new ProviderError("the message has no file_id", { retryable: false, code: "no_media_id" });
    }
    const describe = describeWith(telegramErrorAnswer);
    const answer = await providerFetch(
      withRetryAfter(ctx.fetch),
      `${ctx.baseUrl}/bot${cfg.botToken}/getFile?file_id=${encodeURIComponent(media.providerMediaId)}`,
      { method: "GET" },
      { timeoutMs: limits.timeoutMs, describe },
    );
    const info = readAnswer(await answer.text(), telegramFileInfo);
    if (!info?.file_path) {
      throw new ProviderError("Telegram's getFile answered without a file_path", {
        retryable: false,
        code: "no_file_path",
      });
    }
    checkStatedSize(info.file_size, limits);
    const path = info.file_path.split("/").map(encodeURIComponent).join("/");
    return fetchMedia(withRetryAfter(ctx.fetch), `${ctx.baseUrl}/file/bot${cfg.botToken}/${path}`, {}, limits, {
      ...media,
      filename: media.filename ?? info.file_path.split("/").pop(),
    });
  },
};
