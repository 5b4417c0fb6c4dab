import { zapiAdapter } from "@/channels/zapi/adapter";
import { newWorkerApp } from "@/platform/app";
import { handleWebhook } from "./handle";

/** Z-API cannot sign its webhooks: the URL carries a per-channel secret instead. */
export function createZapiWebhookApp() {
  const app = newWorkerApp();
  app.post("/webhooks/zapi/:channelId/:secret", (c) => handleWebhook(c, zapiAdapter, c.req.param("secret")));
  return app;
}
