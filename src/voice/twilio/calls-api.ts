import * as z from "zod";
import { acceptedMessageId, describeWith, providerFetch } from "@/channels/http";
import { twilioErrorAnswer } from "@/channels/twilio/payload";

type ProviderContext = { baseUrl: string; fetch: typeof fetch };

export type TwilioDial = {
  accountSid: string;
  authToken: string;
  from: string;
  to: string;
  /** The TwiML Twilio fetches when the callee answers. */
  url: string;
  statusCallback: string;
  recordingStatusCallback?: string;
  record: boolean;
  machineDetection: boolean;
};

/** The Call resource Twilio answers a create with: {"sid": "CA...", "status": "queued", ...}. */
const callAnswer = z.looseObject({ sid: z.string().min(1).max(64) }).transform((answer) => answer.sid);

/** Progress events asked for: all of them, so the call's row follows it (Twilio's default is completed only). */
const STATUS_EVENTS = ["initiated", "ringing", "answered", "completed"] as const;

/**
 * Places a call through Twilio's Calls API (POST /2010-04-01/Accounts/{sid}/Calls.json,
 * form-encoded, basic auth) and returns its CallSid. 429/5xx are retried by providerFetch; a 2xx
 * without a sid is an "accepted_without_id" failure, never a retry (the call may be ringing).
 */
export async function createTwilioCall(ctx: ProviderContext, dial: TwilioDial): Promise<string> {
  const form = new URLSearchParams({
    To: dial.to,
    From: dial.from,
    Url: dial.url,
    Method: "POST",
    StatusCallback: dial.statusCallback,
    StatusCallbackMethod: "POST",
  });
  for (const event of STATUS_EVENTS) form.append("StatusCallbackEvent", event);
  if (dial.machineDetection) form.set("MachineDetection", "Enable");
  if (dial.record) {
    form.set("Record", "true");
    // Customer and agent on separate channels (seed 003's dual-channel recording).
    form.set("RecordingChannels", "dual");
    if (dial.recordingStatusCallback) {
      form.set("RecordingStatusCallback", dial.recordingStatusCallback);
      form.set("RecordingStatusCallbackMethod", "POST");
    }
  }
  const response = await providerFetch(
    ctx.fetch,
    `${ctx.baseUrl}/2010-04-01/Accounts/${encodeURIComponent(dial.accountSid)}/Calls.json`,
    {
      method: "POST",
      headers: {
        authorization: `Basic ${btoa(`${dial.accountSid}:${dial.authToken}`)}`,
        "content-type": "application/x-www-form-urlencoded",
        accept: "application/json",
      },
      body: form.toString(),
    },
    { describe: describeWith(twilioErrorAnswer) },
  );
  return acceptedMessageId("Twilio", response, callAnswer);
}
