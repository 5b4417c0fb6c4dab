import type { Hono } from "hono";
import type { AppEnv } from "@/platform/app";
import { handleAgentAnswer, handleAssignment } from "./assignment";
import { handleVoice } from "./inbound";
import { handleOutboundTwiml } from "./outbound";
import { handleDialResult, handleQueueResult, handleVoicemailDone, handleWait } from "./queue";
import { handleRecordingStatus } from "./recording";
import { handleVoiceStatus } from "./status";

/**
 * A twilio_voice channel's URLs. The first five are pasted into Twilio's console and TaskRouter;
 * the others Switchboard hands Twilio itself, inside TwiML and assignment instructions.
 */
export function registerTwilioVoiceRoutes(app: Hono<AppEnv>): void {
  const base = "/webhooks/twilio/:channelId";
  app.post(`${base}/voice`, handleVoice);
  app.post(`${base}/voice-status`, handleVoiceStatus);
  app.post(`${base}/recording-status`, handleRecordingStatus);
  app.post(`${base}/assignment`, handleAssignment);
  app.post(`${base}/wait`, handleWait);
  app.post(`${base}/queue-result`, handleQueueResult);
  app.post(`${base}/dial-result`, handleDialResult);
  app.post(`${base}/voicemail-done`, handleVoicemailDone);
  app.post(`${base}/agent-answer`, handleAgentAnswer);
  app.post(`${base}/outbound`, handleOutboundTwiml);
}
