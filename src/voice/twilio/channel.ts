import * as z from "zod";
import { businessHours } from "@/business-hours/schema";
import type { ChannelDefinition } from "@/channels/types";

// Moved to src/business-hours (SLAs use it too); re-exported so voice code keeps its imports.
export { type BusinessHours, businessHours } from "@/business-hours/schema";

const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, "an E.164 number, e.g. +5511987654321");

export const twilioVoiceConfig = z.object({
  accountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, "a Twilio Account SID (AC + 32 hex)"),
  authToken: z.string().min(1),
  phoneNumbers: z.array(e164).min(1).max(50),
  workspaceSid: z
    .string()
    .regex(/^WS[0-9a-fA-F]{32}$/)
    .optional(),
  workflowSid: z
    .string()
    .regex(/^WW[0-9a-fA-F]{32}$/)
    .optional(),
  /** Spoken with <Say> in `language`, or played with <Play> when it is an https URL. */
  greeting: z.string().max(2000).optional(),
  language: z.string().min(2).max(10).default("pt-BR"),
  waitMusicUrl: z.url().optional(),
  businessHours: businessHours.optional(),
  voicemail: z.boolean().default(true),
  failoverNumber: e164.optional(),
});
export type TwilioVoiceConfig = z.infer<typeof twilioVoiceConfig>;

export const twilioVoiceChannel: ChannelDefinition = {
  configSchema: twilioVoiceConfig,
  webhookUrls(publicUrl, channelId) {
    const base = `${publicUrl}/webhooks/twilio/${channelId}`;
    return {
      voice: `${base}/voice`,
      status: `${base}/voice-status`,
      recording: `${base}/recording-status`,
      assignment: `${base}/assignment`,
      wait: `${base}/wait`,
    };
  },
};
