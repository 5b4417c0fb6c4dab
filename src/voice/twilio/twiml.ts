// TwiML through the twilio package's own builder, by subpath: its root pulls in the REST client.
import VoiceResponse from "twilio/lib/twiml/VoiceResponse";
import type { TwilioVoiceConfig } from "./channel";
import { prompts } from "./prompts";
import { voiceUrl } from "./urls";

type SayLanguage = NonNullable<VoiceResponse.SayAttributes["language"]>;

/** Twilio's own hold music, for lines without a waitMusicUrl. */
export const DEFAULT_WAIT_MUSIC = "https://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3";
/** Longest voicemail, in seconds. */
const VOICEMAIL_MAX_SECONDS = 180;
const RECORDING_EVENTS: ("in-progress" | "completed" | "absent")[] = ["in-progress", "completed", "absent"];

export type Line = { publicUrl: string; channelId: string; config: TwilioVoiceConfig };

const say = (response: VoiceResponse, config: TwilioVoiceConfig, text: string) =>
  response.say({ language: config.language as SayLanguage }, text);

/** The greeting (the recording disclaimer): spoken, or played when it is an https URL. */
function greet(response: VoiceResponse, config: TwilioVoiceConfig) {
  const greeting = config.greeting?.trim();
  if (!greeting) return;
  if (/^https:\/\/\S+$/.test(greeting)) response.play(greeting);
  else say(response, config, greeting);
}

export function rejectTwiml(): string {
  const response = new VoiceResponse();
  response.reject({ reason: "rejected" });
  return response.toString();
}

export function hangupTwiml(text?: string, config?: TwilioVoiceConfig): string {
  const response = new VoiceResponse();
  if (text && config) say(response, config, text);
  response.hangup();
  return response.toString();
}

/** The task TaskRouter routes: what the agent and the assignment callback need to know. */
export type TaskAttributes = {
  type: "voice";
  call_id: string;
  contact_id: string | null;
  channel_id: string;
  language: string;
  caller: string;
  ticket_id: string | null;
  ticket_number: number | null;
};

/** Greeting, then the caller joins the workflow's queue (a TaskRouter task with our attributes). */
export function enqueueTwiml(line: Line, task: TaskAttributes): string {
  const { publicUrl, channelId, config } = line;
  const response = new VoiceResponse();
  greet(response, config);
  const enqueue = response.enqueue({
    workflowSid: config.workflowSid,
    waitUrl: voiceUrl(publicUrl, channelId, "wait"),
    waitUrlMethod: "POST",
    action: voiceUrl(publicUrl, channelId, "queue-result"),
    method: "POST",
  });
  enqueue.task({}, JSON.stringify(task));
  return response.toString();
}

/** What a caller nobody answers gets: the failover number first, then voicemail, else a goodbye. */
export function fallbackTwiml(
  line: Line,
  callId: string,
  options: { greet: boolean; failover: boolean; closed: boolean },
): { xml: string; route: "failover" | "voicemail" | "closed" } {
  const { publicUrl, channelId, config } = line;
  const response = new VoiceResponse();
  if (options.greet) greet(response, config);
  if (options.failover && config.failoverNumber) {
    const dial = response.dial({
      action: voiceUrl(publicUrl, channelId, "dial-result"),
      method: "POST",
      timeout: config.agentRingSeconds,
      callerId: config.phoneNumbers[0],
      ...(config.record
        ? {
            record: "record-from-answer-dual" as const,
            recordingStatusCallback: voiceUrl(publicUrl, channelId, "recording-status", {
              call: callId,
              kind: "conversation",
            }),
            recordingStatusCallbackEvent: RECORDING_EVENTS,
          }
        : {}),
    });
    dial.number(
      {
        statusCallback: voiceUrl(publicUrl, channelId, "voice-status", { leg: "failover", call: callId }),
        statusCallbackEvent: ["answered", "completed"],
        statusCallbackMethod: "POST",
      },
      config.failoverNumber,
    );
    return { xml: response.toString(), route: "failover" };
  }
  const text = prompts(config.language);
  if (config.voicemail) {
    say(response, config, text.voicemail);
    response.record({
      action: voiceUrl(publicUrl, channelId, "voicemail-done"),
      method: "POST",
      maxLength: VOICEMAIL_MAX_SECONDS,
      playBeep: true,
      timeout: 5,
      trim: "trim-silence",
      recordingStatusCallback: voiceUrl(publicUrl, channelId, "recording-status", { call: callId, kind: "voicemail" }),
      recordingStatusCallbackMethod: "POST",
      recordingStatusCallbackEvent: RECORDING_EVENTS,
    });
    // Reached only when the caller stayed silent: <Record> then falls through.
    response.hangup();
    return { xml: response.toString(), route: "voicemail" };
  }
  say(response, config, options.closed ? text.closed : text.unavailable);
  response.hangup();
  return { xml: response.toString(), route: "closed" };
}

/** The wait URL: the caller's place in the queue, then music; or out of the queue after maxWaitSeconds. */
export function waitTwiml(config: TwilioVoiceConfig, position: number | undefined, waited: number | undefined): string {
  const response = new VoiceResponse();
  if (config.maxWaitSeconds && waited !== undefined && waited >= config.maxWaitSeconds) {
    response.leave();
    return response.toString();
  }
  if (position && position > 0) say(response, config, prompts(config.language).position(position));
  response.play(config.waitMusicUrl ?? DEFAULT_WAIT_MUSIC);
  return response.toString();
}

/**
 * The agent's leg when the whisper is on (call instruction): the whisper only the agent hears,
 * then the reservation's caller dequeued into this call, recorded on two channels.
 */
export function agentAnswerTwiml(
  line: Line,
  input: { callId: string; reservationSid: string; whisper: string },
): string {
  const { publicUrl, channelId, config } = line;
  const response = new VoiceResponse();
  say(response, config, input.whisper);
  const dial = response.dial(
    config.record
      ? {
          record: "record-from-answer-dual",
          recordingStatusCallback: voiceUrl(publicUrl, channelId, "recording-status", {
            call: input.callId,
            kind: "conversation",
          }),
          recordingStatusCallbackEvent: RECORDING_EVENTS,
        }
      : {},
  );
  // TaskRouter names the queue through the reservation: the noun carries no queue name.
  dial.queue(
    {
      reservationSid: input.reservationSid,
      ...(config.postWorkActivitySid ? { postWorkActivitySid: config.postWorkActivitySid } : {}),
    },
    "",
  );
  return response.toString();
}
