import { and, eq, isNull } from "drizzle-orm";
import { calls } from "@/db/schema";
import type { NewJob } from "@/jobs/outbox";
import type { Transaction } from "@/platform/db";
import { type CallbackOutcome, callbackTicket } from "../callback-ticket";
import type { CallRow } from "../calls";
import { prompts } from "./prompts";
import type { VoiceChannel } from "./request";

/** Where /voice (and later the queue) sent a caller, kept in the call's metadata as `route`. */
export type Route = "queue" | "failover" | "voicemail" | "closed" | "rejected";

const routeOf = (call: CallRow) => (call.metadata as { route?: Route }).route;

/**
 * Why an inbound call that ended without a person on it was missed, or null when it was not
 * missed (answered, rejected as blocked, or not ours to judge).
 */
export function missedReason(call: CallRow): string | null {
  if (call.direction !== "inbound" || call.answeredAt || call.disconnectionReason === "blocked") return null;
  const route = routeOf(call);
  if (route === "rejected") return null;
  if (route === "queue") return "abandoned";
  return (call.metadata as { outOfHours?: boolean }).outOfHours ? "out_of_hours" : "no_agent";
}

function settle(tx: Transaction, channel: VoiceChannel, call: CallRow, outcome: CallbackOutcome) {
  return callbackTicket(tx, {
    call,
    channel: { id: channel.row.id, queueId: channel.row.queueId },
    subject: prompts(channel.config.language).callbackSubject,
    notify: channel.notify,
    outcome,
  });
}

/** A missed call, once per call: its reason on the call, and a callback on the contact's ticket. */
export async function settleMissed(
  tx: Transaction,
  channel: VoiceChannel,
  call: CallRow,
  reason: string,
): Promise<NewJob[]> {
  const { claimed, jobs } = await settle(tx, channel, call, { kind: "missed", reason, waitSeconds: call.waitSeconds });
  if (claimed) {
    await tx
      .update(calls)
      .set({ disconnectionReason: reason })
      .where(and(eq(calls.id, call.id), isNull(calls.disconnectionReason)));
  }
  return jobs;
}

/** A voicemail, once per call: a callback on the contact's ticket with the recording. */
export async function settleVoicemail(
  tx: Transaction,
  channel: VoiceChannel,
  call: CallRow,
  recording: { url: string; sid: string; durationSeconds?: number | null },
): Promise<NewJob[]> {
  const outcome: CallbackOutcome = {
    kind: "voicemail",
    recordingUrl: recording.url,
    recordingSid: recording.sid,
    durationSeconds: recording.durationSeconds,
  };
  return (await settle(tx, channel, call, outcome)).jobs;
}
