// Telegram Bot API: JSON updates carrying the secret token given to setWebhook in a header.
import { botToken, callbackQueryUpdate, telegramMessage, telegramUpdate } from "../telegram";
import type { ProviderDriver, Signed } from "./driver";

const HEADER = "x-telegram-bot-api-secret-token";
const secretOf = (channel: { webhookUrls: Record<string, string> }) => channel.webhookUrls.secretToken ?? "";

export const telegramDriver: ProviderDriver = {
  encoding: "json",
  config: () => ({ botToken: botToken() }),
  sign: async (channel, path) => ({ path, headers: { [HEADER]: secretOf(channel) } }),
  forge: async (channel, path, _body, other): Promise<Signed[]> => [
    { path, headers: {} },
    ...["", "nope", `${secretOf(channel)}x`, secretOf(other)].map((token) => ({ path, headers: { [HEADER]: token } })),
  ],
  text: (_channel, text) => ({ route: "webhook", body: telegramUpdate(telegramMessage({ text })) }),
  malformed: () => {
    const { chat: _chat, ...noChat } = telegramMessage();
    return [
      "{not json",
      "[]",
      { message: telegramMessage() },
      { update_id: "12", message: telegramMessage() },
      telegramUpdate(noChat),
    ].map((body) => ({ route: "webhook", body }));
  },
  samples: () =>
    [
      telegramUpdate(telegramMessage({ text: "Olá" })),
      telegramUpdate(
        telegramMessage({
          photo: [{ file_id: "AgAD-large", file_unique_id: "l", width: 1280, height: 853 }],
          caption: "foto",
        }),
      ),
      telegramUpdate(telegramMessage({ voice: { file_id: "AwAD", file_unique_id: "v", duration: 4 } })),
      telegramUpdate(telegramMessage({ location: { latitude: -23.55, longitude: -46.63 } })),
      callbackQueryUpdate("human", { buttonText: "Falar com atendente" }),
    ].map((body) => ({ route: "webhook", body })),
};
