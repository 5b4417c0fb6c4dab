import { newWorkerApp } from "@/platform/app";
import { retellWebhook } from "@/voice/retell/webhook";
import { handleVoiceWebhook } from "@/voice/webhook";

/** Retell posts every call event of the channel's agents to one URL. */
export function createRetellWebhookApp() {
  const app = newWorkerApp();
  app.post("/webhooks/retell/:channelId", (c) => handleVoiceWebhook(c, retellWebhook));
  return app;
}
