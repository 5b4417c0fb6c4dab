import { twilioAdapter } from "@/channels/twilio/adapter";
import { newWorkerApp } from "@/platform/app";
import { registerTwilioVoiceRoutes } from "@/voice/twilio/routes";
import { handleWebhook } from "./handle";

/**
 * Twilio posts form-encoded messages to /sms and delivery callbacks to /sms-status; a
 * twilio_voice channel's calls, queue and TaskRouter callbacks go to its voice routes.
 */
export function createTwilioWebhookApp() {
  const app = newWorkerApp();
  app.post("/webhooks/twilio/:channelId/sms", (c) => handleWebhook(c, twilioAdapter, "sms"));
  app.post("/webhooks/twilio/:channelId/sms-status", (c) => handleWebhook(c, twilioAdapter, "sms-status"));
  registerTwilioVoiceRoutes(app);
  return app;
}
