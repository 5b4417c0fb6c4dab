import * as z from "zod";
import { dispatch } from "@/jobs/dispatch";
import { enqueue, type NewJob } from "@/jobs/outbox";
import { eventJob } from "@/notify/job";
import type { Transaction } from "@/platform/db";
import { type CallRow, type CallStatus, callerContact, recordCallEvent, terminalStatuses, upsertCall } from "../calls";
import { linkProviderCall } from "../place/link";
import { recordCallJob, rejectReservationJob } from "./jobs";
import { missedReason, settleMissed } from "./outcomes";
import { type StatusParams, statusParams } from "./params";
import { twiml, type VoiceChannel, type VoiceRequest, voiceRoute } from "./request";
import { callStatusOf, findCall, markAnswered } from "./store";

const EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response/>';
const isTerminal = (status: CallStatus) => terminalStatuses.includes(status);
/** An agent's ring that ended without them: the task goes back to the workflow. */
const unanswered = new Set<CallStatus>(["busy", "no-answer", "failed", "canceled"]);

/** Twilio's Timestamp (RFC 2822) when it reads, else now. */
function timestampOf(params: StatusParams, now: Date): Date {
  const parsed = params.Timestamp ? Date.parse(params.Timestamp) : Number.NaN;
  return Number.isNaN(parsed) ? now : new Date(parsed);
}

/** The callback's identity: Twilio numbers each call's callbacks per source. */
const callbackKey = (params: StatusParams, status: string) =>
  `${params.CallbackSource ?? "call-progress-events"}:${params.SequenceNumber ?? status}`;

const uuid = z.uuid();

/**
 * A call placed through the API whose CallSid the job has not stored (yet, or ever: an unknown
 * outcome): the status callback URL names it (`callId`, signed with the rest of the URL), so the
 * callback links it, and lands on it, instead of making a row of its own.
 */
async function placedCall(tx: Transaction, channel: VoiceChannel, params: StatusParams, callId: string | null) {
  if (!callId || !uuid.safeParse(callId).success || !params.Direction?.startsWith("outbound")) return null;
  const organizationId = channel.row.organizationId;
  return linkProviderCall(tx, { organizationId, callId, provider: "twilio", providerCallId: params.CallSid });
}

/** A call this line has not seen (an outbound call, a lost voice request): created from the callback. */
async function unseenCall(tx: Transaction, channel: VoiceChannel, params: StatusParams): Promise<CallRow> {
  const organizationId = channel.row.organizationId;
  const direction = params.Direction?.startsWith("outbound") ? "outbound" : "inbound";
  const customer = direction === "inbound" ? params.From : params.To;
  return upsertCall(tx, {
    organizationId,
    provider: "twilio",
    providerCallId: params.CallSid,
    direction,
    status: "queued",
    channelId: channel.row.id,
    contactId: await callerContact(tx, organizationId, customer),
    fromNumber: params.From,
    toNumber: params.To,
  });
}

/**
 * The caller's own call (the number's status callback): status forward only, duration and end
 * once terminal; a terminal inbound call that no person answered is a missed call (called back
 * once, whichever of this and the queue's hang-up arrives first).
 */
async function callerStatus({ services, channel, params, query }: VoiceRequest<StatusParams>, status: CallStatus) {
  const organizationId = channel.row.organizationId;
  const at = timestampOf(params, services.now());
  const jobs = await services.db.transaction(async (tx) => {
    const known =
      (await findCall(tx, organizationId, { callSid: params.CallSid })) ??
      (await placedCall(tx, channel, params, query.get("callId"))) ??
      (await unseenCall(tx, channel, params));
    const first = await recordCallEvent(tx, {
      organizationId,
      callId: known.id,
      kind: `status.${status}`,
      key: callbackKey(params, status),
      payload: params,
      occurredAt: at,
    });
    if (!first) return [];
    const terminal = isTerminal(status);
    const call = await upsertCall(tx, {
      organizationId,
      provider: "twilio",
      providerCallId: params.CallSid,
      direction: known.direction,
      status,
      durationSeconds: terminal ? params.CallDuration : undefined,
      endedAt: terminal ? at : undefined,
      // An outbound call is answered by the callee; an inbound one by an agent (its own leg).
      answeredAt: known.direction === "outbound" && status === "in-progress" ? at : undefined,
    });
    const pending: NewJob[] = [];
    if (!terminal) return enqueue(tx, pending);
    if (channel.notify) {
      pending.push(
        eventJob(
          organizationId,
          "call.ended",
          {
            callId: call.id,
            channelId: channel.row.id,
            contactId: call.contactId,
            status,
            durationSeconds: call.durationSeconds,
          },
          call.id,
        ),
      );
    }
    const reason = missedReason(call);
    if (reason) pending.push(...(await settleMissed(tx, channel, call, reason)));
    return enqueue(tx, pending);
  });
  if (jobs.length) services.waitUntil(dispatch(services, jobs));
}

/**
 * An agent's leg (dequeue or call instruction) or the failover number's leg, reported on the
 * caller's call: answered sets who answered and when (and, under dequeue, starts the recording);
 * an agent's ring that ended unanswered rejects the reservation, so the task goes back to the
 * workflow for the next worker.
 */
async function legStatus(
  { services, channel, params, query, log }: VoiceRequest<StatusParams>,
  leg: "agent" | "failover",
  status: CallStatus,
) {
  const organizationId = channel.row.organizationId;
  const call = await findCall(services.db, organizationId, { id: query.get("call") });
  if (!call) {
    log.warn("status of a leg of a call this channel does not know", { leg });
    return;
  }
  const at = timestampOf(params, services.now());
  const reservation = {
    workspaceSid: query.get("workspace"),
    taskSid: query.get("task"),
    reservationSid: query.get("reservation"),
  };
  const jobs = await services.db.transaction(async (tx) => {
    const first = await recordCallEvent(tx, {
      organizationId,
      callId: call.id,
      kind: `${leg}.${status}`,
      key: `${leg}:${params.CallSid}:${params.SequenceNumber ?? status}`,
      payload: { ...params, workerSid: query.get("worker"), reservationSid: reservation.reservationSid },
      occurredAt: at,
    });
    if (!first) return [];
    const pending: NewJob[] = [];
    if (status === "in-progress") {
      await markAnswered(tx, call.id, { at, agentId: query.get("agent"), by: leg, worker: query.get("worker") });
      // Under the call instruction the agent's leg records itself (<Dial record>).
      if (leg === "agent" && channel.config.record && !channel.config.whisper) {
        pending.push(recordCallJob(organizationId, call.id));
      }
    }
    const { workspaceSid, taskSid, reservationSid } = reservation;
    if (leg === "agent" && unanswered.has(status) && workspaceSid && taskSid && reservationSid) {
      pending.push(rejectReservationJob(organizationId, call.id, { workspaceSid, taskSid, reservationSid }));
    }
    return enqueue(tx, pending);
  });
  if (jobs.length) services.waitUntil(dispatch(services, jobs));
}

/** POST /voice-status: status callbacks of callers' calls and of agents' and the failover number's legs. */
export const handleVoiceStatus = voiceRoute("twiml", statusParams, async (request) => {
  const status = callStatusOf(request.params.CallStatus);
  if (!status) {
    request.log.warn("call status callback with an unknown status", { callStatus: request.params.CallStatus });
    return twiml(EMPTY);
  }
  const leg = request.query.get("leg");
  if (leg === "agent" || leg === "failover") await legStatus(request, leg, status);
  else await callerStatus(request, status);
  return twiml(EMPTY);
});
