import { telegramAdapter } from "@/channels/telegram/adapter";
import { newWorkerApp } from "@/platform/app";
import { handleWebhook } from "./handle";

export function createTelegramWebhookApp() {
  const app = newWorkerApp();
  app.post("/webhooks/telegram/:channelId", (c) => handleWebhook(c, telegramAdapter));
  return app;
}
