import { handleCustomWebhook } from "@/custom-webhooks/inbound";
import { newWorkerApp } from "@/platform/app";

/** An organization's named inbound hooks: JSON from its own systems, signed with the hook's secret. */
export function createCustomWebhookApp() {
  const app = newWorkerApp();
  app.post("/webhooks/custom/:organizationId/:hookId", (c) => handleCustomWebhook(c));
  return app;
}
