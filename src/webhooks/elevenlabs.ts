import { newWorkerApp } from "@/platform/app";
import { elevenlabsWebhook } from "@/voice/elevenlabs/webhook";
import { handleVoiceWebhook } from "@/voice/webhook";

/** ElevenLabs posts its post-call webhooks (transcription, audio, initiation failure) to one URL. */
export function createElevenlabsWebhookApp() {
  const app = newWorkerApp();
  app.post("/webhooks/elevenlabs/:channelId", (c) => handleVoiceWebhook(c, elevenlabsWebhook));
  return app;
}
