// TwiML of an answered outbound call. Only VoiceResponse of the twilio package: its root pulls in
// the whole REST client.
import { and, eq, sql } from "drizzle-orm";
import VoiceResponse from "twilio/lib/twiml/VoiceResponse";
import * as z from "zod";
import { callPlacements, calls } from "@/db/schema";
import { forwardStatus, recordCallEvent } from "../calls";
import { linkProviderCall } from "../place/link";
import type { TwilioVoiceConfig } from "./channel";
import { answeredParams } from "./params";
import { twiml, voiceRoute } from "./request";
import { mergeMetadata } from "./store";

const uuid = z.uuid();

type Say = NonNullable<Parameters<VoiceResponse["say"]>[0]> & object;
type Language = Exclude<Say, string>["language"];

/** Said when there is no agent to connect to nor a queue, in the channel's language. */
function goodbye(language: string): string {
  if (language.startsWith("pt")) return "Olá! Esta é uma ligação da nossa central de atendimento. Até logo.";
  if (language.startsWith("es")) return "¡Hola! Esta es una llamada de nuestro centro de atención. Hasta luego.";
  return "Hello, this is a call from our contact center. Goodbye.";
}

function speak(response: VoiceResponse, config: TwilioVoiceConfig, text: string) {
  if (/^https:\/\//i.test(text)) response.play(text);
  else response.say({ language: config.language as Language }, text);
}

/**
 * The call connected, as seed 003 connects its calls: the channel's greeting (its recording
 * disclaimer) when the call is recorded; then the user the call was placed for, at their Twilio
 * Client identity (their user id, with the call and contact as parameters for the softphone);
 * without one, into the channel's TaskRouter workflow like an inbound caller, so the next free
 * agent (Flex) takes it; without a workflow, a short message and goodbye. An answering machine
 * (MachineDetection) is hung up on.
 */
export function outboundTwiml(
  config: TwilioVoiceConfig,
  call: {
    id: string;
    contactId: string | null;
    agentId: string | null;
    callerId: string | null;
    toNumber: string | null;
  },
  options: { record: boolean; answeredBy?: string },
): string {
  const response = new VoiceResponse();
  if (options.answeredBy && /^(machine|fax)/.test(options.answeredBy)) {
    response.hangup();
    return response.toString();
  }
  if (options.record && config.greeting) speak(response, config, config.greeting);
  if (call.agentId) {
    const dial = response.dial({
      answerOnBridge: true,
      timeout: 30,
      ...(call.callerId ? { callerId: call.callerId } : {}),
    });
    const client = dial.client();
    client.identity(call.agentId);
    client.parameter({ name: "callId", value: call.id });
    if (call.contactId) client.parameter({ name: "contactId", value: call.contactId });
  } else if (config.workflowSid) {
    const enqueue = response.enqueue({ workflowSid: config.workflowSid });
    enqueue.task(
      JSON.stringify({
        type: "outbound",
        callId: call.id,
        contactId: call.contactId,
        to: call.toNumber,
        language: config.language,
      }),
    );
  } else {
    speak(response, config, config.greeting && !options.record ? config.greeting : goodbye(config.language));
    response.hangup();
  }
  return response.toString();
}

const HANG_UP = new VoiceResponse().hangup().toString();

/**
 * POST /webhooks/twilio/{channelId}/outbound?callId=…: Twilio asks what an answered outbound call
 * does. voiceRoute checks the signature first (against PUBLIC_URL + path + query, callId
 * included); then the call is linked to its CallSid (if the job has not yet), its answer recorded
 * once, and its TwiML returned. A redelivery gets the same TwiML and stores nothing new. A callId
 * this channel did not place is hung up on, storing nothing (an error status would make Twilio
 * read an "application error" to the callee).
 */
export const handleOutboundTwiml = voiceRoute("twiml", answeredParams, async ({ services, channel, params, query }) => {
  const { db } = services;
  const callId = query.get("callId") ?? "";
  const organizationId = channel.row.organizationId;
  const [row] = uuid.safeParse(callId).success
    ? await db
        .select({ call: calls, record: callPlacements.record })
        .from(calls)
        .innerJoin(callPlacements, eq(callPlacements.callId, calls.id))
        .where(and(eq(calls.id, callId), eq(calls.organizationId, organizationId), eq(calls.channelId, channel.row.id)))
    : [];
  if (!row) return twiml(HANG_UP);

  const linked =
    (await linkProviderCall(db, { organizationId, callId, provider: "twilio", providerCallId: params.CallSid })) ??
    row.call;
  const fresh = await recordCallEvent(db, {
    organizationId,
    callId,
    kind: "twiml.outbound",
    key: `${params.CallSid}:outbound`,
    payload: params,
  });
  const machine = params.AnsweredBy !== undefined && /^(machine|fax)/.test(params.AnsweredBy);
  if (fresh && params.AnsweredBy) await mergeMetadata(db, callId, { machineDetection: params.AnsweredBy });
  // The callee picked up (a person, unless detection says otherwise): the call is in progress.
  if (fresh && !machine) {
    await db
      .update(calls)
      .set({ status: forwardStatus(sql`'in-progress'`), answeredAt: sql`coalesce(${calls.answeredAt}, now())` })
      .where(eq(calls.id, callId));
  }
  return twiml(outboundTwiml(channel.config, linked, { record: row.record, answeredBy: params.AnsweredBy }));
});
