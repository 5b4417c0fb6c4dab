import * as z from "zod";
import { businessHours } from "@/business-hours/schema";
import type { ChannelDefinition } from "@/channels/types";

// Moved to src/business-hours (SLAs use it too); re-exported so voice code keeps its imports.
export { type BusinessHours, businessHours } from "@/business-hours/schema";

const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, "an E.164 number, e.g. +5511987654321");
const activitySid = z.string().regex(/^WA[0-9a-fA-F]{32}$/, "a TaskRouter Activity SID (WA + 32 hex)");

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
  /** The worker's activity after a call (TaskRouter's post_work_activity_sid), e.g. "Wrap-up". */
  postWorkActivitySid: activitySid.optional(),
  /** The worker's activity after a reservation they did not answer, so the next call skips them. */
  noAnswerActivitySid: activitySid.optional(),
  /** How long an agent's phone rings before the task goes back to the workflow. */
  agentRingSeconds: z.number().int().min(5).max(120).default(20),
  /**
   * Whisper to the agent (who is calling, ticket number) before the bridge. TaskRouter's dequeue
   * instruction cannot play anything to the agent, so this answers with the call instruction
   * instead (README, Voice: Twilio).
   */
  whisper: z.boolean().default(false),
  /** Record calls with agents on two channels (customer and agent apart). */
  record: z.boolean().default(true),
  /** Seconds in the queue after which the caller leaves it for voicemail or the failover number. */
  maxWaitSeconds: z.number().int().min(30).max(3600).optional(),
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
