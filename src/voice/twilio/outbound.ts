// TwiML of an answered outbound call. Only the webhook helpers and VoiceResponse of the twilio
// package: its root pulls in the whole REST client.
import { and, eq, sql } from "drizzle-orm";
import type { Context } from "hono";
import VoiceResponse from "twilio/lib/twiml/VoiceResponse";
import { validateRequest } from "twilio/lib/webhooks/webhooks";
import * as z from "zod";
import { parseForm } from "@/channels/parse";
import { openCredentials } from "@/channels/secrets";
import { signedParams } from "@/channels/twilio/payload";
import { MalformedPayloadError } from "@/channels/types";
import { callPlacements, calls, channels } from "@/db/schema";
import type { AppEnv } from "@/platform/app";
import { problemResponse } from "@/platform/errors";
import { enforceRateLimit } from "@/platform/request";
import { forwardStatus, recordCallEvent } from "../calls";
import { linkProviderCall } from "../place/link";
import { type TwilioVoiceConfig, twilioVoiceConfig } from "./channel";

const MAX_BODY_BYTES = 64 * 1024;
const uuid = z.uuid();

/** What Twilio posts to a call's Url when the callee answers (MachineDetection adds AnsweredBy). */
const answeredParams = z.looseObject({
  CallSid: z.string().regex(/^CA[0-9a-zA-Z]{1,62}$/),
  AccountSid: z.string().optional(),
  AnsweredBy: z.string().max(40).optional(),
});

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

/**
 * POST /webhooks/twilio/{channelId}/outbound?callId=…: Twilio asks what an answered outbound call
 * does. Signature first (against PUBLIC_URL + path + query, callId included), then the call is
 * linked to its CallSid (if the job has not yet), its answer recorded once, and TwiML returned.
 * A redelivery gets the same TwiML and stores nothing new.
 */
export async function handleOutboundTwiml(c: Context<AppEnv>) {
  const { db, env, log, requestId } = c.var.services;
  const notFound = () => problemResponse("NOT_FOUND", "No such channel or call.", { requestId });
  const body = new Uint8Array(await c.req.arrayBuffer());
  if (body.byteLength > MAX_BODY_BYTES) {
    return problemResponse("PAYLOAD_TOO_LARGE", "Webhook bodies are limited to 64 KiB.", { requestId });
  }
  const channelId = c.req.param("channelId") ?? "";
  if (!uuid.safeParse(channelId).success) return notFound();
  const [channel] = await db
    .select()
    .from(channels)
    .where(and(eq(channels.id, channelId), eq(channels.type, "twilio_voice")));
  if (!channel) return notFound();
  const config = twilioVoiceConfig.safeParse(await openCredentials(env, channel).catch(() => null));
  if (!config.success) {
    log.error("stored twilio_voice credentials do not match the schema", { channelId });
    return problemResponse("MISCONFIGURED", "The channel's stored configuration is invalid.", { requestId });
  }
  await enforceRateLimit(c, "webhook", channel.id, { limit: env.WEBHOOK_RATE_LIMIT_PER_MINUTE, windowSeconds: 60 });

  const url = new URL(c.req.url);
  const rawBody = new TextDecoder().decode(body);
  const signature = c.req.header("x-twilio-signature");
  let valid = false;
  try {
    valid =
      signature !== undefined &&
      validateRequest(
        config.data.authToken,
        signature,
        `${env.PUBLIC_URL}${url.pathname}${url.search}`,
        signedParams(rawBody),
      );
  } catch {
    valid = false;
  }
  if (!valid) {
    log.warn("outbound TwiML request signature rejected", { channelId });
    return problemResponse("UNAUTHORIZED", "The webhook signature is invalid.", { requestId });
  }

  let params: z.infer<typeof answeredParams>;
  try {
    params = parseForm(rawBody, answeredParams);
  } catch (error) {
    if (!(error instanceof MalformedPayloadError)) throw error;
    return problemResponse("BAD_REQUEST", `Malformed twilio webhook: ${error.message}`, { requestId });
  }
  const callId = url.searchParams.get("callId") ?? "";
  if (!uuid.safeParse(callId).success) {
    return problemResponse("BAD_REQUEST", "Malformed twilio webhook: callId: not a call id", { requestId });
  }
  const [row] = await db
    .select({ call: calls, record: callPlacements.record })
    .from(calls)
    .leftJoin(callPlacements, eq(callPlacements.callId, calls.id))
    .where(
      and(eq(calls.id, callId), eq(calls.organizationId, channel.organizationId), eq(calls.channelId, channel.id)),
    );
  if (!row) return notFound();

  const { organizationId } = channel;
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
  if (fresh) {
    const machine = params.AnsweredBy !== undefined && /^(machine|fax)/.test(params.AnsweredBy);
    await db
      .update(calls)
      .set({
        ...(params.AnsweredBy
          ? { metadata: sql`${calls.metadata} || ${JSON.stringify({ answeredBy: params.AnsweredBy })}::jsonb` }
          : {}),
        // The callee picked up (a person, unless detection says otherwise): the call is in progress.
        ...(machine
          ? {}
          : { status: forwardStatus(sql`'in-progress'`), answeredAt: sql`coalesce(${calls.answeredAt}, now())` }),
      })
      .where(eq(calls.id, callId));
  }
  const twiml = outboundTwiml(config.data, linked, { record: row.record ?? false, answeredBy: params.AnsweredBy });
  return c.body(twiml, 200, { "content-type": "text/xml; charset=utf-8" });
}
