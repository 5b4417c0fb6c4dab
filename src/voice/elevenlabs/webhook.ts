// ElevenLabs Agents' post-call webhooks (elevenlabs.io/docs/eleven-agents/workflows/post-call-webhooks):
// `{type, event_timestamp, data}` signed `ElevenLabs-Signature: t=<unix s>,v0=<hex HMAC-SHA256 of
// "<t>.<raw body>">`. Integrations that can only send a static header send `X-Webhook-Token`.
import * as z from "zod";
import { MalformedPayloadError } from "@/channels/types";
import type { CallTurn } from "@/db/schema";
import { timingSafeEqual } from "@/platform/crypto";
import { verifyTimestampedHmac } from "@/webhooks/timestamped-hmac";
import type { CallStatus } from "../calls";
import { type CallEvent, type CallFields, present, toDate, type VoiceEvent, type VoiceWebhook } from "../events";
import { type ElevenlabsConfig, elevenlabsConfig } from "./channel";

/** ElevenLabs' own SDK refuses signatures older than 30 minutes. */
const TOLERANCE_SECONDS = 30 * 60;

const phoneCall = z
  .looseObject({
    direction: z.enum(["inbound", "outbound"]).nullish(),
    external_number: z.string().nullish(),
    agent_number: z.string().nullish(),
    type: z.string().nullish(),
    call_sid: z.string().nullish(),
  })
  .nullish();

const transcription = z.looseObject({
  conversation_id: z.string().min(1).max(200),
  agent_id: z.string().nullish(),
  status: z.string().nullish(),
  transcript: z
    .array(z.looseObject({ role: z.string(), message: z.string().nullish(), time_in_call_secs: z.number().nullish() }))
    .nullish(),
  metadata: z
    .looseObject({
      start_time_unix_secs: z.number().nullish(),
      call_duration_secs: z.number().nullish(),
      cost: z.number().nullish(),
      termination_reason: z.string().nullish(),
      phone_call: phoneCall,
    })
    .nullish(),
  analysis: z
    .looseObject({
      call_successful: z.string().nullish(),
      transcript_summary: z.string().nullish(),
    })
    .nullish(),
});

const initiationFailure = z.looseObject({
  conversation_id: z.string().min(1).max(200),
  agent_id: z.string().nullish(),
  failure_reason: z.string().nullish(),
  metadata: z.looseObject({ type: z.string().nullish(), body: z.record(z.string(), z.unknown()).nullish() }).nullish(),
});

const envelope = z.looseObject({
  type: z.string().min(1).max(100),
  event_timestamp: z.number().nullish(),
  data: z.record(z.string(), z.unknown()),
});

function transcriptionStatus(status: string | null | undefined): CallStatus {
  if (status === "failed") return "failed";
  if (status === "initiated") return "queued";
  if (status === "in-progress" || status === "processing") return "in-progress";
  return "completed";
}

function successful(value: string | null | undefined): boolean | undefined {
  if (value === "success") return true;
  if (value === "failure") return false;
  return undefined;
}

function transcriptionEvent(data: z.infer<typeof transcription>, occurredAt: Date | undefined): CallEvent {
  const meta = data.metadata ?? undefined;
  const phone = meta?.phone_call ?? undefined;
  const direction = phone?.direction ?? "inbound";
  const customer = present(phone?.external_number);
  const line = present(phone?.agent_number);
  const startedAt = toDate(meta?.start_time_unix_secs, "s");
  const duration = meta?.call_duration_secs ?? undefined;
  const status = transcriptionStatus(data.status);
  const turns: CallTurn[] = (data.transcript ?? []).flatMap((turn) => {
    const text = present(turn.message);
    if (!text) return [];
    const atSeconds = turn.time_in_call_secs ?? undefined;
    return [{ role: turn.role, text, ...(atSeconds === undefined ? {} : { atSeconds }) }];
  });
  const metadata: Record<string, unknown> = {};
  if (typeof meta?.cost === "number") metadata.cost = { value: meta.cost, unit: "credits" };
  if (phone?.type) metadata.telephony = phone.type;
  if (phone?.call_sid) metadata.telephonyCallId = phone.call_sid;
  const fields: CallFields = {
    fromNumber: direction === "inbound" ? customer : line,
    toNumber: direction === "inbound" ? line : customer,
    startedAt,
    answeredAt: status === "completed" ? startedAt : undefined,
    endedAt: startedAt && duration !== undefined ? new Date(startedAt.getTime() + duration * 1000) : undefined,
    durationSeconds: duration === undefined ? undefined : Math.round(duration),
    providerAgentId: present(data.agent_id),
    transcript: present(turns.map((t) => `${t.role}: ${t.text}`).join("\n")),
    transcriptTurns: present(turns),
    summary: present(data.analysis?.transcript_summary),
    successful: successful(data.analysis?.call_successful),
    analysis: data.analysis ? (data.analysis as Record<string, unknown>) : undefined,
    disconnectionReason: present(meta?.termination_reason),
    metadata: Object.keys(metadata).length ? metadata : undefined,
  };
  return {
    kind: "call",
    eventKind: "elevenlabs.post_call_transcription",
    key: "post_call_transcription",
    providerCallId: data.conversation_id,
    direction,
    status,
    customerNumber: customer ?? null,
    fields,
    occurredAt,
    notify: data.analysis ? ["call.ended", "call.analyzed"] : ["call.ended"],
  };
}

/** A string field of the telephony provider's own request, under any of its usual spellings. */
function bodyField(body: Record<string, unknown> | null | undefined, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = body?.[name];
    if (typeof value === "string" && value.trim()) return value;
  }
  return undefined;
}

function failureEvent(data: z.infer<typeof initiationFailure>, occurredAt: Date | undefined): CallEvent {
  const reason = present(data.failure_reason);
  const status: CallStatus = reason === "busy" ? "busy" : reason === "no-answer" ? "no-answer" : "failed";
  const body = data.metadata?.body ?? undefined;
  // A call that could not be placed was an outbound one: the customer is the number dialled.
  const to = bodyField(body, "to_number", "To", "to");
  const from = bodyField(body, "from_number", "From", "from");
  const metadata: Record<string, unknown> = {};
  if (data.metadata?.type) metadata.telephony = data.metadata.type;
  return {
    kind: "call",
    eventKind: "elevenlabs.call_initiation_failure",
    key: "call_initiation_failure",
    providerCallId: data.conversation_id,
    direction: "outbound",
    status,
    customerNumber: to ?? null,
    fields: {
      fromNumber: from,
      toNumber: to,
      endedAt: occurredAt,
      providerAgentId: present(data.agent_id),
      disconnectionReason: reason,
      metadata: Object.keys(metadata).length ? metadata : undefined,
    },
    occurredAt,
    notify: ["call.ended"],
  };
}

function malformed(error: z.ZodError, prefix: string): never {
  const issue = error.issues[0];
  throw new MalformedPayloadError(`${prefix}${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`);
}

export const AUDIO_IGNORED =
  "post_call_audio: call audio is not kept (the transcript and analysis arrive in post_call_transcription)";

function parseElevenlabs(rawBody: string): VoiceEvent {
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    throw new MalformedPayloadError("the body is not JSON");
  }
  const parsed = envelope.safeParse(json);
  if (!parsed.success) malformed(parsed.error, "");
  const { type, data } = parsed.data;
  const occurredAt = toDate(parsed.data.event_timestamp, "s");
  if (type === "post_call_transcription") {
    const event = transcription.safeParse(data);
    if (!event.success) malformed(event.error, "data.");
    return transcriptionEvent(event.data, occurredAt);
  }
  if (type === "call_initiation_failure") {
    const event = initiationFailure.safeParse(data);
    if (!event.success) malformed(event.error, "data.");
    return failureEvent(event.data, occurredAt);
  }
  if (type === "post_call_audio") return { kind: "ignored", reason: AUDIO_IGNORED };
  return { kind: "ignored", reason: `event ${type} is not stored` };
}

export const elevenlabsWebhook: VoiceWebhook<ElevenlabsConfig> = {
  provider: "elevenlabs",
  channelType: "elevenlabs",
  configSchema: elevenlabsConfig,
  async verify(headers, rawBody, config, now) {
    const signature = headers.get("elevenlabs-signature");
    if (signature) {
      return verifyTimestampedHmac(config.webhookSecret, signature, rawBody, {
        scheme: "v0",
        toleranceSeconds: TOLERANCE_SECONDS,
        now,
      });
    }
    const token = headers.get("x-webhook-token");
    return token ? timingSafeEqual(token, config.webhookSecret) : false;
  },
  parse: parseElevenlabs,
  // The audio webhook carries the whole call as base64 MP3, megabytes of it: acknowledged unread.
  oversized: (prefix) => (/^\s*\{\s*"type"\s*:\s*"post_call_audio"/.test(prefix) ? AUDIO_IGNORED : null),
};
