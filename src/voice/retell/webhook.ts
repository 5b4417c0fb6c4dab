// Retell's webhook (docs.retellai.com/features/webhook): `{event, call}` signed with the API key.
// The signature check is retell-sdk's own, imported by subpath so the function carries it alone.
import { verify } from "retell-sdk/lib/webhook_auth";
import * as z from "zod";
import { MalformedPayloadError } from "@/channels/types";
import type { CallTurn } from "@/db/schema";
import type { EventType } from "@/notify/job";
import type { CallStatus } from "../calls";
import { type CallEvent, present, toDate, type VoiceEvent, type VoiceWebhook } from "../events";
import { type RetellConfig, retellConfig } from "./channel";

const timestamp = z.union([z.number(), z.string()]).nullish();

const retellCall = z.looseObject({
  call_id: z.string().min(1).max(200),
  agent_id: z.string().nullish(),
  call_type: z.string().nullish(),
  call_status: z.string().nullish(),
  direction: z.enum(["inbound", "outbound"]).nullish(),
  from_number: z.string().nullish(),
  to_number: z.string().nullish(),
  start_timestamp: timestamp,
  end_timestamp: timestamp,
  duration_ms: z.number().nullish(),
  transcript: z.string().nullish(),
  transcript_object: z
    .array(
      z.looseObject({
        role: z.string(),
        content: z.string(),
        words: z.array(z.looseObject({ start: z.number().nullish() })).nullish(),
      }),
    )
    .nullish(),
  recording_url: z.string().nullish(),
  disconnection_reason: z.string().nullish(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
  call_cost: z.looseObject({ combined_cost: z.number().nullish() }).nullish(),
  call_analysis: z
    .looseObject({
      call_summary: z.string().nullish(),
      user_sentiment: z.string().nullish(),
      call_successful: z.boolean().nullish(),
      in_voicemail: z.boolean().nullish(),
      custom_analysis_data: z.unknown(),
    })
    .nullish(),
});
type RetellCall = z.infer<typeof retellCall>;

const body = z.looseObject({ event: z.string().min(1).max(100), call: z.unknown() });

/** The events that update a call, and what each tells the organization's events webhook. */
const callEvents: Record<string, EventType[]> = {
  call_started: ["call.started"],
  call_ended: ["call.ended"],
  call_analyzed: ["call.analyzed"],
};

const busy = new Set(["dial_busy", "user_declined"]);
const noAnswer = new Set(["dial_no_answer"]);

/**
 * Retell's call_status onto the one call vocabulary. A call that never connected says why in its
 * disconnection reason (busy, no answer); one that ended after connecting completed, whatever
 * hung up. Every event of a call carries the same status and reason, so they all agree.
 */
function retellStatus(call: Pick<RetellCall, "call_status" | "disconnection_reason">): CallStatus {
  const reason = call.disconnection_reason ?? "";
  if (busy.has(reason)) return "busy";
  if (noAnswer.has(reason)) return "no-answer";
  switch (call.call_status) {
    case "registered":
      return "queued";
    case "ongoing":
      return "in-progress";
    case "ended":
      return "completed";
    case "not_connected":
      return reason === "manual_stopped" ? "canceled" : "failed";
    case "error":
      return "failed";
    default:
      return "in-progress";
  }
}

function turns(call: RetellCall): CallTurn[] | undefined {
  return present(
    call.transcript_object?.map((turn) => {
      const atSeconds = turn.words?.[0]?.start ?? undefined;
      return { role: turn.role, text: turn.content, ...(atSeconds === undefined ? {} : { atSeconds }) };
    }),
  );
}

function sentiment(value: string | null | undefined): string | undefined {
  return present(value)?.toLowerCase();
}

function retellCallEvent(event: string, call: RetellCall): CallEvent {
  const direction = call.direction ?? "inbound";
  const status = retellStatus(call);
  const startedAt = toDate(call.start_timestamp);
  const endedAt = toDate(call.end_timestamp);
  const durationMs = call.duration_ms ?? (startedAt && endedAt ? endedAt.getTime() - startedAt.getTime() : undefined);
  const analysis = call.call_analysis ?? undefined;
  const cost = call.call_cost?.combined_cost;
  const metadata: Record<string, unknown> = {};
  if (present(call.call_type)) metadata.callType = call.call_type;
  if (call.metadata && Object.keys(call.metadata).length) metadata.providerMetadata = call.metadata;
  if (typeof cost === "number") metadata.cost = { value: cost, unit: "usd_cents" };
  return {
    kind: "call",
    eventKind: `retell.${event}`,
    key: event,
    providerCallId: call.call_id,
    direction,
    status,
    customerNumber: (direction === "inbound" ? call.from_number : call.to_number) ?? null,
    fields: {
      fromNumber: present(call.from_number),
      toNumber: present(call.to_number),
      startedAt,
      answeredAt: status === "in-progress" || status === "completed" ? startedAt : undefined,
      endedAt,
      durationSeconds: durationMs === undefined ? undefined : Math.round(durationMs / 1000),
      providerAgentId: present(call.agent_id),
      transcript: present(call.transcript),
      transcriptTurns: turns(call),
      recordingUrl: present(call.recording_url),
      disconnectionReason: present(call.disconnection_reason),
      summary: present(analysis?.call_summary),
      sentiment: sentiment(analysis?.user_sentiment),
      successful: analysis?.call_successful ?? undefined,
      analysis: analysis ? (analysis as Record<string, unknown>) : undefined,
      metadata: Object.keys(metadata).length ? metadata : undefined,
    },
    notify: callEvents[event] ?? [],
  };
}

function parseRetell(rawBody: string): VoiceEvent {
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    throw new MalformedPayloadError("the body is not JSON");
  }
  const envelope = body.safeParse(json);
  if (!envelope.success) throw new MalformedPayloadError("expected {event, call}");
  const { event } = envelope.data;
  if (!(event in callEvents)) return { kind: "ignored", reason: `event ${event} is not stored` };
  const call = retellCall.safeParse(envelope.data.call);
  if (!call.success) {
    const issue = call.error.issues[0];
    throw new MalformedPayloadError(`call.${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`);
  }
  return retellCallEvent(event, call.data);
}

export const retellWebhook: VoiceWebhook<RetellConfig> = {
  provider: "retell",
  channelType: "retell",
  configSchema: retellConfig,
  async verify(headers, rawBody, config) {
    const signature = headers.get("x-retell-signature");
    if (!signature) return false;
    try {
      return await verify(rawBody, config.apiKey, signature);
    } catch {
      return false;
    }
  },
  parse: parseRetell,
};
