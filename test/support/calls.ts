// Outbound calls in tests: voice channels whose provider APIs are the loopback fakes (Twilio's
// Calls API under the channel's own account, Retell under a scope of the test's own), placing
// calls through the API, delivering their call.place job again, and Twilio's TwiML request.
import { and, eq } from "drizzle-orm";
import { inject } from "vitest";
import { callPlacements, calls, outbox } from "@/db/schema";
import { signLocalDelivery } from "@/jobs/signature";
import { withDb } from "./db";
import { TEST_SECRETS } from "./env";
import { unique } from "./fixtures";
import { type CallOptions, call } from "./http";
import { createChannel } from "./provider";
import { accountSid, PUBLIC_URL, twilioSignature } from "./twilio";

let numberSeq = 0;
/** A US number (a caller ID); distinct within a run. */
export const usNumber = () => `+1415${2_000_000 + ((Date.now() + ++numberSeq * 7919) % 7_999_999)}`;
/** A Brazilian mobile of its own per call (9, then a digit 6-9, as mobiles written without the ninth digit start). */
export const brMobile = () =>
  `+55119${6 + Math.floor(Math.random() * 4)}${String(Math.floor(Math.random() * 10_000_000)).padStart(7, "0")}`;

export async function twilioVoiceChannel(
  token: string,
  config: { phoneNumbers?: string[]; workflowSid?: string; greeting?: string; language?: string } = {},
) {
  const full = {
    accountSid: accountSid(),
    authToken: unique("tok"),
    phoneNumbers: config.phoneNumbers ?? [usNumber(), usNumber(), usNumber()],
    ...config,
  };
  const channel = await createChannel(token, {
    type: "twilio_voice",
    config: full as unknown as Record<string, string>,
  });
  return {
    channel,
    config: full,
    callsPrefix: `/twilio/2010-04-01/Accounts/${full.accountSid}/Calls.json`,
  };
}

export async function retellChannel(token: string, config: { defaultAgentId?: string } = {}) {
  const full = { apiKey: unique("key_"), fromNumber: usNumber(), ...config };
  const channel = await createChannel(token, { type: "retell", config: full });
  const scope = unique("rt");
  return {
    channel,
    config: full,
    /** RETELL_API_URL for this test's requests: the fake, under a prefix of its own. */
    env: { RETELL_API_URL: `${inject("fakesUrl")}/retell/${scope}` },
    createPrefix: `/retell/${scope}/v2/create-phone-call`,
  };
}

export function placeCall(token: string, body: Record<string, unknown>, options: CallOptions = {}) {
  return call("/api/calls", { ...options, token, json: body });
}

export const callRow = (id: string) =>
  withDb(async (db) => {
    const [row] = await db
      .select({ call: calls, placement: callPlacements })
      .from(calls)
      .leftJoin(callPlacements, eq(callPlacements.callId, calls.id))
      .where(eq(calls.id, id));
    return row;
  });

export const callsOf = (organizationId: string) =>
  withDb((db) => db.select().from(calls).where(eq(calls.organizationId, organizationId)).orderBy(calls.id));

export const placeJobOf = (callId: string) =>
  withDb(async (db) => {
    const [job] = await db
      .select()
      .from(outbox)
      .where(and(eq(outbox.name, "call.place"), eq(outbox.dedupeKey, `call.place:${callId}`)));
    if (!job) throw new Error(`no call.place job for ${callId}`);
    return job;
  });

/**
 * Delivers a job (again), as a QStash redelivery would after the first answer was lost: the row is
 * made runnable, so the handler itself must find its work done.
 */
export async function deliverJob(job: typeof outbox.$inferSelect, options: CallOptions = {}) {
  await withDb((db) => db.update(outbox).set({ status: "pending", lockedUntil: null }).where(eq(outbox.id, job.id)));
  const path = `/jobs/${job.name}`;
  const body = JSON.stringify({ jobId: job.id, payload: job.payload });
  return call(path, {
    ...options,
    method: "POST",
    body,
    headers: {
      "content-type": "application/json",
      "x-switchboard-signature": await signLocalDelivery(TEST_SECRETS.LOCAL_JOBS_SIGNING_KEY, path, body),
    },
  });
}

export const redeliverPlaceJob = async (callId: string, options: CallOptions = {}) =>
  deliverJob(await placeJobOf(callId), options);

/** What Twilio posts to a placed call's Url when the callee answers, signed like Twilio signs it. */
export async function postOutboundTwiml(
  channelId: string,
  callId: string,
  authToken: string,
  params: Record<string, string>,
  options: CallOptions & { signature?: string | null } = {},
) {
  const path = `/webhooks/twilio/${channelId}/outbound?callId=${callId}`;
  const signature =
    options.signature !== undefined
      ? options.signature
      : await twilioSignature(authToken, `${PUBLIC_URL}${path}`, params);
  return call(path, {
    ...options,
    method: "POST",
    body: new URLSearchParams(params).toString(),
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      ...(signature === null ? {} : { "x-twilio-signature": signature }),
    },
  });
}

/** The parameters Twilio posts to an outbound call's Url on answer. */
export function answeredParams(account: string, callSid: string, extra: Record<string, string> = {}) {
  return {
    AccountSid: account,
    ApiVersion: "2010-04-01",
    CallSid: callSid,
    CallStatus: "in-progress",
    Direction: "outbound-api",
    From: "+14155550100",
    To: "+5511987654321",
    ...extra,
  };
}

export const callSid = () => `CA${crypto.randomUUID().replaceAll("-", "")}`;
