import { and, eq, sql } from "drizzle-orm";
import { contacts, users } from "@/db/schema";
import type { Executor } from "@/platform/db";
import { activeTicketOf } from "../callback-ticket";
import { recordCallEvent } from "../calls";
import { assignmentParams, callParams } from "./params";
import { prompts, spokenNumber } from "./prompts";
import { json, twiml, voiceRoute } from "./request";
import { findCall, markAnswered } from "./store";
import { agentAnswerTwiml, hangupTwiml } from "./twiml";
import { voiceUrl } from "./urls";

const text = (value: unknown) => (typeof value === "string" && value.trim() ? value.trim() : undefined);

/** The Switchboard user a TaskRouter worker is, by the e-mail in its attributes. */
async function agentOf(db: Executor, organizationId: string, email: string | undefined): Promise<string | null> {
  if (!email) return null;
  const [user] = await db
    .select({ id: users.id })
    .from(users)
    .where(
      and(
        eq(users.organizationId, organizationId),
        sql`lower(${users.email}) = lower(${email})`,
        eq(users.active, true),
      ),
    );
  return user?.id ?? null;
}

/** The caller ID for the agent's leg: the line's number the customer called, else its first. */
function lineNumber(numbers: readonly string[], called: string | null | undefined): string {
  return called && numbers.includes(called) ? called : (numbers[0] as string);
}

const STATUS_EVENTS = "initiated,ringing,answered,completed";

/**
 * POST /assignment, TaskRouter's assignment callback: answered at once with the instruction.
 * `dequeue` rings the worker's contact_uri and bridges the caller (recording started through the
 * Calls API when the agent answers); with `whisper` on, `call` rings the worker and runs
 * /agent-answer on their leg, where the whisper plays before the caller is dequeued. Either way
 * the agent's leg reports to /voice-status, where an unanswered ring sends the task back to the
 * workflow. A task that is not one of this line's calls is left to others (`{}`).
 */
export const handleAssignment = voiceRoute("json", assignmentParams, async ({ services, channel, params, log }) => {
  const { db, env } = services;
  const { row, config } = channel;
  const organizationId = row.organizationId;
  const task = params.TaskAttributes;
  const worker = params.WorkerAttributes;
  const call = await findCall(db, organizationId, { id: text(task.call_id), callSid: text(task.call_sid) });
  if (!call) {
    log.warn("assignment for a task that is not a call of this channel", { taskSid: params.TaskSid });
    return json({});
  }
  const agentId = await agentOf(db, organizationId, text(worker.email));
  await recordCallEvent(db, {
    organizationId,
    callId: call.id,
    kind: "assignment",
    key: `assignment:${params.ReservationSid}`,
    payload: {
      reservationSid: params.ReservationSid,
      taskSid: params.TaskSid,
      workerSid: params.WorkerSid,
      workerName: text(worker.friendly_name) ?? text(worker.name) ?? null,
      taskQueueSid: params.TaskQueueSid ?? null,
      agentId,
    },
  });
  const legQuery = {
    call: call.id,
    worker: params.WorkerSid,
    reservation: params.ReservationSid,
    task: params.TaskSid,
    workspace: params.WorkspaceSid,
    agent: agentId,
  };
  const statusCallback = voiceUrl(env.PUBLIC_URL, row.id, "voice-status", { leg: "agent", ...legQuery });
  const from = lineNumber(config.phoneNumbers, call.toNumber);
  const to = text(worker.contact_uri);
  if (config.whisper && to) {
    return json({
      instruction: "call",
      to,
      from,
      url: voiceUrl(env.PUBLIC_URL, row.id, "agent-answer", legQuery),
      status_callback_url: statusCallback,
      timeout: config.agentRingSeconds,
    });
  }
  return json({
    instruction: "dequeue",
    ...(to ? { to } : {}),
    from,
    ...(config.postWorkActivitySid ? { post_work_activity_sid: config.postWorkActivitySid } : {}),
    status_callback_url: statusCallback,
    status_callback_events: STATUS_EVENTS,
    timeout: config.agentRingSeconds,
  });
});

/**
 * POST /agent-answer, the TwiML of the agent's leg under the call instruction: the agent
 * answered. The whisper names the caller (contact name, else the number digit by digit) and the
 * contact's open ticket; then <Dial><Queue reservationSid> accepts the reservation and bridges.
 */
export const handleAgentAnswer = voiceRoute("twiml", callParams, async ({ services, channel, params, query, log }) => {
  const { db, env } = services;
  const { row, config } = channel;
  const organizationId = row.organizationId;
  const reservationSid = query.get("reservation");
  const call = await findCall(db, organizationId, { id: query.get("call") });
  if (!call || !reservationSid) {
    log.warn("agent answered a call this channel does not know", { hasReservation: Boolean(reservationSid) });
    return twiml(hangupTwiml());
  }
  await db.transaction(async (tx) => {
    const first = await recordCallEvent(tx, {
      organizationId,
      callId: call.id,
      kind: "agent.in-progress",
      key: `agent:${params.CallSid}:answered`,
      payload: { ...params, reservationSid, workerSid: query.get("worker") },
    });
    if (first) {
      await markAnswered(tx, call.id, {
        at: services.now(),
        agentId: query.get("agent"),
        by: "agent",
        worker: query.get("worker"),
      });
    }
  });
  const [contact] = call.contactId
    ? await db.select({ name: contacts.name }).from(contacts).where(eq(contacts.id, call.contactId))
    : [];
  const ticket = call.contactId ? await activeTicketOf(db, organizationId, call.contactId) : undefined;
  const caller = contact?.name ?? spokenNumber(call.fromNumber ?? "");
  const whisper = prompts(config.language).whisper(caller, ticket?.number ?? null);
  return twiml(
    agentAnswerTwiml(
      { publicUrl: env.PUBLIC_URL, channelId: row.id, config },
      { callId: call.id, reservationSid, whisper },
    ),
  );
});
