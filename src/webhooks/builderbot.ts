import { builderbotAdapter } from "@/channels/builderbot/adapter";
import { newWorkerApp } from "@/platform/app";
import { handleWebhook } from "./handle";

export function createBuilderbotWebhookApp() {
  const app = newWorkerApp();
  app.post("/webhooks/builderbot/:channelId", (c) => handleWebhook(c, builderbotAdapter));
  return app;
}
