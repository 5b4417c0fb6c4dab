// Telegram Bot API updates, shaped as Telegram posts them to a webhook (core.telegram.org/bots/api#update),
// and the secret token header Telegram adds when setWebhook was given a secret_token.
import { type CallOptions, call } from "./http";

let seq = 0;
let nextUpdate = 400_000_000 + Math.floor(Math.random() * 1_000_000) * 100;
/** Update ids are per bot and increase; tests only need them unique. */
export const updateId = () => ++nextUpdate;

export const TELEGRAM_USER = {
  id: 912345678,
  is_bot: false,
  first_name: "Maria",
  last_name: "Cliente",
  username: "mariac",
  language_code: "pt-br",
};
export const PRIVATE_CHAT = {
  id: 912345678,
  first_name: "Maria",
  last_name: "Cliente",
  username: "mariac",
  type: "private",
};
export const GROUP_CHAT = { id: -1001234567890, title: "Clientes VIP", type: "supergroup" };

/** A bot token unique per call, so tests never share the fake's /telegram/bot<token>/ prefix. */
export function botToken(): string {
  return `${1000000 + Math.floor(Math.random() * 8999999)}:AAF${Date.now().toString(36)}${(++seq).toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

export function telegramMessage(
  content: Record<string, unknown> = { text: "Olá" },
  chat: Record<string, unknown> = PRIVATE_CHAT,
) {
  return {
    // Far above the fake's own message ids, so an inbound id never equals an outbound one.
    message_id: 5_000_000 + ++seq,
    from: TELEGRAM_USER,
    chat,
    date: Math.floor(Date.now() / 1000),
    ...content,
  };
}

export function telegramUpdate(message: Record<string, unknown> = telegramMessage(), key = "message") {
  return { update_id: updateId(), [key]: message };
}

export function callbackQueryUpdate(
  data: string,
  options: { chat?: Record<string, unknown>; buttonText?: string } = {},
) {
  return {
    update_id: updateId(),
    callback_query: {
      id: `${Date.now()}${++seq}`,
      from: TELEGRAM_USER,
      message: {
        message_id: 77,
        from: { id: 7000000001, is_bot: true, first_name: "Switchboard Bot", username: "switchboard_bot" },
        chat: options.chat ?? PRIVATE_CHAT,
        date: Math.floor(Date.now() / 1000) - 60,
        text: "Escolha uma opção",
        reply_markup: {
          inline_keyboard: [
            [
              { text: options.buttonText ?? "Falar com atendente", callback_data: data },
              { text: "Sair", callback_data: "exit" },
            ],
          ],
        },
      },
      chat_instance: "-4871936461294529485",
      data,
    },
  };
}

export async function postTelegram(
  channelId: string,
  secretToken: string | null,
  payload: unknown,
  options: CallOptions = {},
) {
  const body = typeof payload === "string" ? payload : JSON.stringify(payload);
  return call(`/webhooks/telegram/${channelId}`, {
    ...options,
    method: "POST",
    body,
    headers: {
      "content-type": "application/json",
      ...(secretToken === null ? {} : { "x-telegram-bot-api-secret-token": secretToken }),
      ...options.headers,
    },
  });
}
