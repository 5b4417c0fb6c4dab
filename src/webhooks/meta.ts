import { metaAdapter } from "@/channels/meta/adapter";
import { newWorkerApp } from "@/platform/app";
import { handleChallenge, handleWebhook } from "./handle";

export function createMetaWebhookApp() {
  const app = newWorkerApp();
  app.get("/webhooks/meta/:channelId", (c) => handleChallenge(c, metaAdapter));
  app.post("/webhooks/meta/:channelId", (c) => handleWebhook(c, metaAdapter));
  return app;
}
