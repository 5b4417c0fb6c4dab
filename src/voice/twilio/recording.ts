import { and, eq, isNull, or, sql } from "drizzle-orm";
import { channelCoverage } from "@/ai/coverage";
import { calls } from "@/db/schema";
import { dispatch } from "@/jobs/dispatch";
import { enqueue, type NewJob } from "@/jobs/outbox";
import type { Executor } from "@/platform/db";
import { recordCallEvent } from "../calls";
import { transcribeRecordingJob } from "./jobs";
import { settleVoicemail } from "./outcomes";
import { recordingParams } from "./params";
import { twiml, voiceRoute } from "./request";
import { findCall, mergeMetadata } from "./store";

const EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response/>';

/** A recording's statuses in order: in-progress, then one of the final ones. */
const rank = (status: string | ReturnType<typeof sql>) =>
  sql`(case ${status} when 'in-progress' then 0 when 'completed' then 1 when 'absent' then 1 when 'failed' then 1 else -1 end)`;

/**
 * The call's recording: its first recording, moving only forward (a late in-progress never
 * undoes completed). A later recording of the same call (one started twice) stays in call_events.
 */
export async function applyRecording(
  db: Executor,
  callId: string,
  recording: { sid: string; status: string; url?: string; durationSeconds?: number; channels?: number },
): Promise<void> {
  await db
    .update(calls)
    .set({
      recordingSid: recording.sid,
      recordingStatus: recording.status,
      recordingUrl: recording.url ? recording.url : sql`${calls.recordingUrl}`,
      recordingDurationSeconds: recording.durationSeconds ?? sql`${calls.recordingDurationSeconds}`,
      recordingChannels: recording.channels ?? sql`${calls.recordingChannels}`,
      updatedAt: new Date(),
    })
    .where(
      and(
        eq(calls.id, callId),
        or(
          isNull(calls.recordingSid),
          and(
            eq(calls.recordingSid, recording.sid),
            sql`${rank(sql`${calls.recordingStatus}`)} < ${rank(recording.status)}`,
          ),
        ),
      ),
    );
}

/**
 * POST /recording-status: a recording of a call (the agent conversation on two channels, the
 * failover call, a voicemail) started, completed, or came to nothing. Completed: a voicemail
 * puts a callback on the contact's ticket; any recording is transcribed and summarized where the
 * organization has model access. Each (recording, status) is handled once.
 */
export const handleRecordingStatus = voiceRoute(
  "twiml",
  recordingParams,
  async ({ services, channel, params, query, log }) => {
    const { db } = services;
    const organizationId = channel.row.organizationId;
    const call = await findCall(db, organizationId, { id: query.get("call"), callSid: params.CallSid });
    if (!call) {
      log.warn("recording of a call this channel does not know", { recordingStatus: params.RecordingStatus });
      return twiml(EMPTY);
    }
    const status = params.RecordingStatus;
    const completed = status === "completed" && (params.RecordingDuration ?? 1) > 0;
    // Whether the organization reaches a model, as messaging's voice notes ask it (cached with the channel).
    const coverage = completed ? await channelCoverage(services, { id: channel.row.id, organizationId }) : "none";
    const transcribes = coverage === "bot" || coverage === "model";
    const voicemail = query.get("kind") === "voicemail" || params.RecordingSource === "RecordVerb";
    const jobs = await db.transaction(async (tx) => {
      const first = await recordCallEvent(tx, {
        organizationId,
        callId: call.id,
        kind: `recording.${status}`,
        key: `recording:${params.RecordingSid}:${status}`,
        payload: params,
      });
      if (!first) return [];
      await applyRecording(tx, call.id, {
        sid: params.RecordingSid,
        status,
        url: params.RecordingUrl,
        durationSeconds: params.RecordingDuration,
        channels: params.RecordingChannels,
      });
      const pending: NewJob[] = [];
      if (completed && voicemail) {
        await mergeMetadata(tx, call.id, { voicemail: true });
        pending.push(
          ...(await settleVoicemail(tx, channel, call, {
            url: params.RecordingUrl,
            sid: params.RecordingSid,
            durationSeconds: params.RecordingDuration,
          })),
        );
      }
      if (transcribes) pending.push(transcribeRecordingJob(organizationId, call.id, params.RecordingSid));
      return enqueue(tx, pending);
    });
    if (jobs.length) services.waitUntil(dispatch(services, jobs));
    return twiml(EMPTY);
  },
);
