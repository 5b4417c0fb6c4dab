import * as z from "zod";
import { describeWith, providerFetch, readAnswer } from "@/channels/http";
import { twilioErrorAnswer } from "@/channels/twilio/payload";
import type { TwilioVoiceConfig } from "./channel";

// The two Twilio REST calls of the voice line, with plain fetch (no SDK in the bundle): the base
// URLs come from the environment (TWILIO_API_URL, TWILIO_TASKROUTER_URL) so tests use fakes.

export const DEFAULT_API_URL = "https://api.twilio.com";
export const DEFAULT_TASKROUTER_URL = "https://taskrouter.twilio.com";

type Account = Pick<TwilioVoiceConfig, "accountSid" | "authToken">;

const basic = (account: Account) => `Basic ${btoa(`${account.accountSid}:${account.authToken}`)}`;
const describe = describeWith(twilioErrorAnswer);

const recordingList = z.looseObject({
  recordings: z.array(z.looseObject({ sid: z.string(), status: z.string().optional() })),
});
const recordingAnswer = z.looseObject({ sid: z.string().min(1) });

/**
 * Starts a dual-channel recording of a call in progress (customer and agent on separate channels,
 * the caller on the first): POST /Calls/{CallSid}/Recordings.json with RecordingChannels=dual.
 * The call's recordings are listed first and one already running is adopted, so a job delivered
 * twice (its first answer lost) never records the call twice.
 */
export async function startDualRecording(
  fetcher: typeof fetch,
  baseUrl: string,
  account: Account,
  input: { callSid: string; statusCallback: string },
): Promise<{ sid: string; adopted: boolean }> {
  const calls = `${baseUrl}/2010-04-01/Accounts/${encodeURIComponent(account.accountSid)}/Calls/${encodeURIComponent(input.callSid)}/Recordings.json`;
  const headers = { authorization: basic(account), accept: "application/json" };
  const listed = await providerFetch(fetcher, calls, { method: "GET", headers }, { describe });
  const running = readAnswer(await listed.text(), recordingList)?.recordings.find(
    (r) => r.status === "in-progress" || r.status === "paused" || r.status === "processing" || r.status === "completed",
  );
  if (running) return { sid: running.sid, adopted: true };
  const form = new URLSearchParams({
    RecordingChannels: "dual",
    RecordingTrack: "both",
    RecordingStatusCallback: input.statusCallback,
    RecordingStatusCallbackMethod: "POST",
  });
  // Repeated parameter: one value per event.
  for (const event of ["in-progress", "completed", "absent"]) form.append("RecordingStatusCallbackEvent", event);
  const created = await providerFetch(
    fetcher,
    calls,
    {
      method: "POST",
      headers: { ...headers, "content-type": "application/x-www-form-urlencoded" },
      body: form.toString(),
    },
    { describe },
  );
  const text = await created.text();
  const sid = readAnswer(text, recordingAnswer)?.sid;
  if (!sid) throw new Error(`Twilio started a recording without answering its sid: ${text.slice(0, 200)}`);
  return { sid, adopted: false };
}

/**
 * Rejects a TaskRouter reservation the agent did not answer, so the task goes back to the
 * workflow at once instead of after the reservation timeout; the worker moves to `activitySid`
 * (e.g. "Unavailable") when one is configured, so the next reservation goes to someone else.
 */
export async function rejectReservation(
  fetcher: typeof fetch,
  baseUrl: string,
  account: Account,
  input: { workspaceSid: string; taskSid: string; reservationSid: string; activitySid?: string },
): Promise<void> {
  const url = `${baseUrl}/v1/Workspaces/${encodeURIComponent(input.workspaceSid)}/Tasks/${encodeURIComponent(input.taskSid)}/Reservations/${encodeURIComponent(input.reservationSid)}`;
  const form = new URLSearchParams({ ReservationStatus: "rejected" });
  if (input.activitySid) form.set("WorkerActivitySid", input.activitySid);
  const response = await providerFetch(
    fetcher,
    url,
    {
      method: "POST",
      headers: {
        authorization: basic(account),
        accept: "application/json",
        "content-type": "application/x-www-form-urlencoded",
      },
      body: form.toString(),
    },
    { describe },
  );
  await response.body?.cancel();
}
