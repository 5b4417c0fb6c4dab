import * as z from "zod";
import { timingSafeEqual } from "@/platform/crypto";
import { jsonOrEmpty, ProviderError, providerFetch } from "../http";
import type { ChannelSettings } from "../settings";
import {
  type ChannelAdapter,
  type InboundEvent,
  type InboundMessageEvent,
  MalformedPayloadError,
  type OutboundMessage,
  type Sender,
} from "../types";
import {
  type TelegramCallbackQuery,
  type TelegramChat,
  type TelegramMessage,
  type TelegramUser,
  telegramUpdate,
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
type TelegramConfig = z.infer<typeof config>;

const GROUP_CHATS = new Set(["group", "supergroup", "channel"]);

const fullName = (p: { first_name?: string; last_name?: string; username?: string }) =>
  [p.first_name, p.last_name].filter(Boolean).join(" ") || p.username || undefined;

function senderOf(chat: TelegramChat, from: TelegramUser | undefined): Sender {
  const identity = { kind: "telegram", externalId: String(chat.id) };
  // In a group (when groups are taken in) the group is the conversation, named by its title.
  if (GROUP_CHATS.has(chat.type)) return { identity, name: chat.title ?? fullName(chat) };
  return { identity, name: (from && fullName(from)) ?? fullName(chat) };
}

type Content = Omit<InboundMessageEvent, "kind" | "idempotencyKey" | "providerMessageId" | "from" | "timestamp">;

function contentOf(m: TelegramMessage): Content | null {
  const caption = m.caption || undefined;
  if (m.text !== undefined) return { type: "text", text: m.text };
  if (m.photo && m.photo.length > 0) {
    // Telegram sends every size it made; the last (largest) is the original.
    const largest = m.photo.reduce((a, b) => (b.width * b.height >= a.width * a.height ? b : a));
    return { type: "image", text: caption, media: { providerMediaId: largest.file_id, caption } };
  }
  if (m.voice) {
    return { type: "audio", media: { providerMediaId: m.voice.file_id, mimeType: m.voice.mime_type, voice: true } };
  }
  if (m.audio) {
    return {
      type: "audio",
      text: caption,
      media: { providerMediaId: m.audio.file_id, mimeType: m.audio.mime_type, filename: m.audio.file_name, caption },
    };
  }
  // A GIF comes as animation (and, for old clients, also as document): it is a silent video.
  const video = m.video ?? m.animation ?? m.video_note;
  if (video) {
    return {
      type: "video",
      text: caption,
      media: { providerMediaId: video.file_id, mimeType: video.mime_type, filename: video.file_name, caption },
    };
  }
  if (m.document) {
    return {
      type: "document",
      text: caption,
      media: {
        providerMediaId: m.document.file_id,
        mimeType: m.document.mime_type,
        filename: m.document.file_name,
        caption,
      },
    };
  }
  if (m.sticker) {
    const mimeType = m.sticker.is_video
      ? "video/webm"
      : m.sticker.is_animated
        ? "application/x-tgsticker"
        : "image/webp";
    return {
      type: "sticker",
      media: { providerMediaId: m.sticker.file_id, mimeType },
      ...(m.sticker.emoji ? { content: { emoji: m.sticker.emoji } } : {}),
    };
  }
  if (m.venue) {
    const { latitude, longitude } = m.venue.location;
    return { type: "location", content: { latitude, longitude, name: m.venue.title, address: m.venue.address } };
  }
  if (m.location) {
    return { type: "location", content: { latitude: m.location.latitude, longitude: m.location.longitude } };
  }
  if (m.contact) {
    const c = m.contact;
    // Shaped like the Cloud API's contacts (name.formatted_name, phones[].phone).
    const contact = {
      name: { formatted_name: fullName(c), first_name: c.first_name, last_name: c.last_name },
      phones: [{ phone: c.phone_number }],
      ...(c.user_id !== undefined ? { telegramUserId: String(c.user_id) } : {}),
      ...(c.vcard ? { vcard: c.vcard } : {}),
    };
    return { type: "contact", content: { contacts: [contact] } };
  }
  return null;
}

function messageEvent(channelId: string, updateId: number, m: TelegramMessage, settings: ChannelSettings) {
  if (GROUP_CHATS.has(m.chat.type) && settings.ignoreGroups) {
    return { kind: "ignored" as const, reason: `${m.chat.type} chat` };
  }
  const content = contentOf(m);
  if (!content) return { kind: "ignored" as const, reason: "unsupported message content" };
  return {
    kind: "message" as const,
    // Update ids are only unique per bot, and one bot is one channel.
    idempotencyKey: `${channelId}:${updateId}`,
    providerMessageId: `${m.chat.id}:${m.message_id}`,
    from: senderOf(m.chat, m.from),
    timestamp: new Date(m.date * 1000),
    ...content,
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
  if (GROUP_CHATS.has(chat.type) && settings.ignoreGroups) return { kind: "ignored", reason: `${chat.type} chat` };
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

function request(chatId: string | number, message: OutboundMessage): { method: string; body: Record<string, unknown> } {
  switch (message.kind) {
    case "text":
      return { method: "sendMessage", body: { chat_id: chatId, text: message.text } };
    case "media": {
      const caption = message.caption ? { caption: message.caption } : {};
      const method = {
        image: ["sendPhoto", "photo"],
        audio: ["sendAudio", "audio"],
        video: ["sendVideo", "video"],
        document: ["sendDocument", "document"],
      }[message.mediaType];
      const [name, field] = method as [string, string];
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
    const retryAfter = (jsonOrEmpty(text).parameters as { retry_after?: unknown } | undefined)?.retry_after;
    const headers = new Headers(response.headers);
    if (typeof retryAfter === "number" && Number.isFinite(retryAfter)) headers.set("retry-after", String(retryAfter));
    return new Response(text, { status: response.status, statusText: response.statusText, headers });
  }) as typeof fetch;
}

/** Telegram errors: {"ok": false, "error_code": 400, "description": "Bad Request: chat not found"}. */
function describe(text: string): { message?: string; code?: string } {
  const json = jsonOrEmpty(text);
  return {
    message: typeof json.description === "string" ? json.description : undefined,
    code: typeof json.error_code === "number" ? String(json.error_code) : undefined,
  };
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
    let json: unknown;
    try {
      json = JSON.parse(request.rawBody);
    } catch {
      throw new MalformedPayloadError("body is not JSON");
    }
    const parsed = telegramUpdate.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new MalformedPayloadError(
        issue ? `${issue.path.join(".") || "update"}: ${issue.message}` : "not an Update",
      );
    }
    const update = parsed.data;
    if (update.message) return [messageEvent(request.channelId, update.update_id, update.message, settings)];
    if (update.callback_query) {
      return [callbackEvent(request.channelId, update.update_id, update.callback_query, settings)];
    }
    const kind = Object.keys(update).find((key) => key !== "update_id") ?? "empty update";
    return [{ kind: "ignored", reason: `update ${kind}` }];
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
    const { method, body } = request(chatId, message);
    const response = await providerFetch(
      withRetryAfter(ctx.fetch),
      `${ctx.baseUrl}/bot${cfg.botToken ?? ""}/${method}`,
      { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) },
      { describe },
    );
    const json = jsonOrEmpty(await response.text());
    const result = json.result as { message_id?: unknown } | undefined;
    if (json.ok !== true || typeof result?.message_id !== "number") {
      // The send may have gone out: failing it is safer than sending it twice.
      throw new ProviderError(describe(JSON.stringify(json)).message ?? "Telegram answered without a message id", {
        status: response.status,
        retryable: false,
        code: describe(JSON.stringify(json)).code ?? "no_message_id",
      });
    }
    return { providerMessageId: `${externalId}:${result.message_id}` };
  },
};
