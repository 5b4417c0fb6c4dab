import * as z from "zod";

// The subset of Twilio Voice and TaskRouter requests Switchboard reads. Twilio posts
// application/x-www-form-urlencoded, so every value is a string; unknown parameters pass through
// (Twilio adds them without notice). What a route cannot work without (CallSid, a status, a
// reservation) makes the body malformed: 400, nothing stored.
// https://www.twilio.com/docs/voice/twiml#request-parameters
// https://www.twilio.com/docs/voice/api/call-resource#statuscallback
// https://www.twilio.com/docs/voice/api/recording#recordingstatuscallback
// https://www.twilio.com/docs/taskrouter/handle-assignment-callbacks

const sid = (prefix: string) =>
  z.string().regex(new RegExp(`^${prefix}[0-9a-fA-F]{32}$`), `a Twilio SID (${prefix} + 32 hex digits)`);
const optional = z.string().optional();
/** A count of seconds as Twilio writes it; garbage or nothing is absent, never a failure. */
const seconds = z
  .string()
  .optional()
  .transform((v) => (v !== undefined && /^\d{1,7}$/.test(v) ? Number(v) : undefined));

/** Every request Twilio makes about a call: the voice URL, the wait URL, actions. */
const callRequest = z.looseObject({
  CallSid: sid("CA"),
  AccountSid: optional,
  From: optional,
  To: optional,
  CallStatus: optional,
  Direction: optional,
});

/** An outbound call's Url, fetched when the callee answers; MachineDetection adds AnsweredBy. */
export const answeredParams = callRequest.extend({ AnsweredBy: z.string().max(40).optional() });

/** The voice URL: an incoming call. */
export const voiceParams = callRequest.extend({ From: z.string().min(1), To: z.string().min(1) });
export type VoiceParams = z.infer<typeof voiceParams>;

/** The waitUrl of <Enqueue>, requested again each time its TwiML has played. */
export const waitParams = callRequest.extend({
  QueuePosition: seconds,
  QueueTime: seconds,
  AvgQueueTime: seconds,
  CurrentQueueSize: seconds,
});
export type WaitParams = z.infer<typeof waitParams>;

/** The action of <Enqueue>: why the call left the queue. */
export const queueResultParams = callRequest.extend({
  QueueResult: z.string().min(1),
  QueueTime: seconds,
  QueueSid: optional,
});
export type QueueResultParams = z.infer<typeof queueResultParams>;

/** The action of <Dial> to the failover number. */
export const dialResultParams = callRequest.extend({
  DialCallStatus: z.string().min(1),
  DialCallSid: optional,
  DialCallDuration: seconds,
});
export type DialResultParams = z.infer<typeof dialResultParams>;

/** A status callback: of the caller's call, or of an agent's or the failover number's leg. */
export const statusParams = callRequest.extend({
  CallStatus: z.string().min(1),
  SequenceNumber: optional,
  CallbackSource: optional,
  Timestamp: optional,
  CallDuration: seconds,
  ParentCallSid: optional,
});
export type StatusParams = z.infer<typeof statusParams>;

/** A recording status callback. */
export const recordingParams = z.looseObject({
  AccountSid: optional,
  CallSid: sid("CA"),
  RecordingSid: sid("RE"),
  RecordingUrl: z.url(),
  RecordingStatus: z.enum(["in-progress", "completed", "absent", "failed"]),
  RecordingDuration: seconds,
  RecordingChannels: seconds,
  RecordingSource: optional,
  RecordingStartTime: optional,
  ErrorCode: optional,
});
export type RecordingParams = z.infer<typeof recordingParams>;

/** A JSON object carried as a form value (TaskRouter's TaskAttributes, WorkerAttributes). */
const jsonObject = z.string().transform((value, ctx) => {
  try {
    const parsed: unknown = JSON.parse(value);
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // reported below
  }
  ctx.addIssue({ code: "custom", message: "a JSON object" });
  return z.NEVER;
});

/** TaskRouter's assignment callback: a worker reserved for a task. */
export const assignmentParams = z.looseObject({
  AccountSid: optional,
  WorkspaceSid: sid("WS"),
  WorkflowSid: optional,
  TaskQueueSid: optional,
  TaskSid: sid("WT"),
  TaskAttributes: jsonObject,
  WorkerSid: sid("WK"),
  WorkerAttributes: jsonObject,
  ReservationSid: sid("WR"),
  TaskAge: seconds,
  Timestamp: optional,
});
export type AssignmentParams = z.infer<typeof assignmentParams>;

/** A request about a call that only needs the call (the agent-answer and voicemail-done URLs). */
export const callParams = callRequest;
export type CallParams = z.infer<typeof callParams>;
