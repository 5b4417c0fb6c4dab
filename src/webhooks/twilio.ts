import { twilioAdapter } from "@/channels/twilio/adapter";
import { newWorkerApp } from "@/platform/app";
import { handleOutboundTwiml } from "@/voice/twilio/outbound";
import { handleWebhook } from "./handle";

/** Twilio posts form-encoded messages to /sms and delivery callbacks to /sms-status. */
export function createTwilioWebhookApp() {
  const app = newWorkerApp();
  app.post("/webhooks/twilio/:channelId/sms", (c) => handleWebhook(c, twilioAdapter, "sms"));
  app.post("/webhooks/twilio/:channelId/sms-status", (c) => handleWebhook(c, twilioAdapter, "sms-status"));
  app.post("/webhooks/twilio/:channelId/outbound", handleOutboundTwiml);
  return app;
}
