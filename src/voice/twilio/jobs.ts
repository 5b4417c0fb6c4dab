import { and, eq } from "drizzle-orm";
import * as z from "zod";
import { ProviderError } from "@/channels/http";
import { openCredentials } from "@/channels/secrets";
import { channels } from "@/db/schema";
import { defineJob } from "@/jobs/define";
import { PermanentJobError, RetryableJobError } from "@/jobs/errors";
import type { NewJob } from "@/jobs/outbox";
import type { Services } from "@/platform/services";
import { recordCallEvent, terminalStatuses } from "../calls";
import { DEFAULT_API_URL, DEFAULT_TASKROUTER_URL, rejectReservation, startDualRecording } from "./api";
import { type TwilioVoiceConfig, twilioVoiceConfig } from "./channel";
import { applyRecording } from "./recording";
import { findCall } from "./store";
import { voiceUrl } from "./urls";

export const RECORD_CALL_JOB = "twilio.record-call";
export const REJECT_RESERVATION_JOB = "taskrouter.reject-reservation";
export const TRANSCRIBE_RECORDING_JOB = "recording.transcribe";

/** Transcribes and summarizes a call's completed recording, once per recording (./transcribe.ts). */
export function transcribeRecordingJob(organizationId: string, callId: string, recordingSid: string): NewJob {
  return {
    name: TRANSCRIBE_RECORDING_JOB,
    organizationId,
    payload: { organizationId, callId, recordingSid },
    dedupeKey: `${TRANSCRIBE_RECORDING_JOB}:${recordingSid}`,
    maxAttempts: 5,
  };
}

/** The dual-channel recording of a call an agent just answered (dequeue instruction). */
export function recordCallJob(organizationId: string, callId: string): NewJob {
  return {
    name: RECORD_CALL_JOB,
    organizationId,
    payload: { organizationId, callId },
    dedupeKey: `${RECORD_CALL_JOB}:${callId}`,
    maxAttempts: 4,
  };
}

export type Reservation = { workspaceSid: string; taskSid: string; reservationSid: string };

/** Hands a reservation the agent did not answer back to the workflow. */
export function rejectReservationJob(organizationId: string, callId: string, reservation: Reservation): NewJob {
  return {
    name: REJECT_RESERVATION_JOB,
    organizationId,
    payload: { organizationId, callId, ...reservation },
    dedupeKey: `${REJECT_RESERVATION_JOB}:${reservation.reservationSid}`,
    maxAttempts: 4,
  };
}

/** The call's channel credentials, or why there are none. */
async function lineOf(
  services: Services,
  channelId: string | null,
): Promise<{ config: TwilioVoiceConfig } | { skipped: string }> {
  if (!channelId) return { skipped: "the call has no channel" };
  const [row] = await services.db
    .select()
    .from(channels)
    .where(and(eq(channels.id, channelId), eq(channels.type, "twilio_voice")));
  if (!row) return { skipped: "the call's channel is gone" };
  const config = twilioVoiceConfig.safeParse(await openCredentials(services.env, row));
  if (!config.success) return { skipped: "the channel's stored configuration is invalid" };
  return { config: config.data };
}

/** A provider failure as the job system understands it: later (429, 5xx, timeouts), or never. */
function jobError(what: string, error: unknown): Error {
  if (!(error instanceof ProviderError)) return error instanceof Error ? error : new Error(String(error));
  if (error.options.retryable) return new RetryableJobError(`${what}: ${error.message}`, error.options.retryAfter);
  return new PermanentJobError(`${what} refused (${error.options.code ?? error.options.status}): ${error.message}`);
}

const baseUrl = (value: string | undefined, fallback: string) => (value ?? fallback).replace(/\/+$/, "");

/**
 * Starts the dual-channel recording of an inbound call through the Calls API once an agent has
 * answered (TaskRouter's dequeue instruction records nothing on two channels itself). Nothing for
 * a call already recorded or over; a refusal (the call ended meanwhile) is kept as a call event.
 */
export const recordCallJobDefinition = defineJob({
  name: RECORD_CALL_JOB,
  payload: z.object({ organizationId: z.uuid(), callId: z.uuid() }),
  async handle(services, { organizationId, callId }) {
    const call = await findCall(services.db, organizationId, { id: callId });
    if (!call) return { skipped: "no such call" };
    if (call.recordingSid) return { skipped: "already recorded" };
    if ((terminalStatuses as readonly string[]).includes(call.status)) return { skipped: `call ${call.status}` };
    const line = await lineOf(services, call.channelId);
    if ("skipped" in line) return line;
    const statusCallback = voiceUrl(services.env.PUBLIC_URL, call.channelId ?? "", "recording-status", {
      call: call.id,
      kind: "conversation",
    });
    try {
      const started = await startDualRecording(
        fetch,
        baseUrl(services.env.TWILIO_API_URL, DEFAULT_API_URL),
        line.config,
        {
          callSid: call.providerCallId,
          statusCallback,
        },
      );
      // The call now names its recording: a redelivered job finds it and stops.
      await applyRecording(services.db, callId, { sid: started.sid, status: "in-progress", channels: 2 });
      await recordCallEvent(services.db, {
        organizationId,
        callId,
        kind: "recording.started",
        key: `recording-start:${started.sid}`,
        payload: { recordingSid: started.sid, adopted: started.adopted, channels: "dual" },
      });
      return { recordingSid: started.sid, adopted: started.adopted };
    } catch (error) {
      const failure = jobError("starting the call's recording", error);
      if (failure instanceof PermanentJobError) {
        await recordCallEvent(services.db, {
          organizationId,
          callId,
          kind: "recording.refused",
          key: "recording-refused",
          payload: { reason: failure.message.slice(0, 500) },
        });
        return { refused: failure.message };
      }
      throw failure;
    }
  },
});

/**
 * Rejects the reservation of an agent who did not answer (busy, no answer, failed), so TaskRouter
 * offers the task to the next worker now; the worker goes to the channel's noAnswerActivitySid.
 * A reservation that is no longer pending (accepted elsewhere, timed out, canceled) answers 4xx:
 * nothing left to do.
 */
export const rejectReservationJobDefinition = defineJob({
  name: REJECT_RESERVATION_JOB,
  payload: z.object({
    organizationId: z.uuid(),
    callId: z.uuid(),
    workspaceSid: z.string().min(1),
    taskSid: z.string().min(1),
    reservationSid: z.string().min(1),
  }),
  async handle(services, { organizationId, callId, ...reservation }) {
    const call = await findCall(services.db, organizationId, { id: callId });
    if (!call) return { skipped: "no such call" };
    const line = await lineOf(services, call.channelId);
    if ("skipped" in line) return line;
    try {
      await rejectReservation(fetch, baseUrl(services.env.TWILIO_TASKROUTER_URL, DEFAULT_TASKROUTER_URL), line.config, {
        ...reservation,
        activitySid: line.config.noAnswerActivitySid,
      });
      return { rejected: reservation.reservationSid };
    } catch (error) {
      const failure = jobError("rejecting the reservation", error);
      if (failure instanceof PermanentJobError) return { skipped: failure.message };
      throw failure;
    }
  },
});
