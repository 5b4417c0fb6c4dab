// Retell and ElevenLabs webhooks as the providers send them. Retell's are signed by retell-sdk's own
// `sign`; ElevenLabs' by the documented scheme computed here with WebCrypto (independently of the
// code under test), so a test cannot pass because both sides share one mistake.
import { and, eq, sql } from "drizzle-orm";
import { sign, symmetric } from "retell-sdk/lib/webhook_auth";
import { callEvents, calls, webhookEvents } from "@/db/schema";
import { withDb } from "./db";
import { unique } from "./fixtures";
import { type CallOptions, call } from "./http";
import { hmacHex } from "./provider";

let phoneSeq = 0;
/** A Brazilian mobile unique per call, so tests never share a contact. */
export const mobile = () => `+55119${String(10_000_000 + ((Date.now() + ++phoneSeq * 7919) % 89_999_999)).slice(-8)}`;

export const RETELL_LINE = "+14155550100";

/** A Retell `call` object as its webhooks carry it (docs.retellai.com/features/webhook). */
export function retellCall(overrides: Record<string, unknown> = {}) {
  const start = Date.parse("2026-12-01T10:00:00Z");
  return {
    call_type: "phone_call",
    call_id: unique("call_"),
    agent_id: "agent_3f9a1c",
    call_status: "ongoing",
    direction: "inbound",
    from_number: mobile(),
    to_number: RETELL_LINE,
    start_timestamp: start,
    metadata: {},
    ...overrides,
  };
}

/** The three events of one answered call, each carrying what Retell sends at that point. */
export function retellLifecycle(base: ReturnType<typeof retellCall>) {
  const start = base.start_timestamp;
  const ended = {
    ...base,
    call_status: "ended",
    end_timestamp: start + 95_000,
    duration_ms: 95_000,
    disconnection_reason: "user_hangup",
    transcript: "Agent: Olá, aqui é a Sofia.\nUser: Quero saber do meu pedido.",
    transcript_object: [
      { role: "agent", content: "Olá, aqui é a Sofia.", words: [{ word: "Olá", start: 0.4, end: 0.7 }] },
      { role: "user", content: "Quero saber do meu pedido.", words: [{ word: "Quero", start: 3.1, end: 3.3 }] },
    ],
    recording_url: "https://dxc03zgurdly9.cloudfront.net/call/recording.wav",
    call_cost: { combined_cost: 12.5, product_costs: [], total_duration_seconds: 95, total_duration_unit_price: 0.13 },
  };
  const analyzed = {
    ...ended,
    call_analysis: {
      call_summary: "O cliente perguntou pelo pedido 123.",
      user_sentiment: "Positive",
      call_successful: true,
      in_voicemail: false,
      custom_analysis_data: { pedido: "123" },
    },
  };
  return {
    call_started: { event: "call_started", call: base },
    call_ended: { event: "call_ended", call: ended },
    call_analyzed: { event: "call_analyzed", call: analyzed },
  };
}

export async function postRetell(
  channelId: string,
  apiKey: string | null,
  payload: unknown,
  options: CallOptions & { signedAt?: number; signature?: string } = {},
) {
  const body = typeof payload === "string" ? payload : JSON.stringify(payload);
  // retell-sdk's own sign; its symmetric.sign only to sign at another instant (a stale signature).
  const signature =
    options.signature ??
    (apiKey === null
      ? undefined
      : options.signedAt === undefined
        ? await sign(body, apiKey)
        : await symmetric.sign(body, apiKey, options.signedAt));
  return call(`/webhooks/retell/${channelId}`, {
    ...options,
    method: "POST",
    body,
    headers: {
      "content-type": "application/json",
      ...(signature ? { "x-retell-signature": signature } : {}),
      ...options.headers,
    },
  });
}

/** `ElevenLabs-Signature: t=<unix s>,v0=<hex HMAC-SHA256(secret, "<t>.<body>")>`. */
export async function elevenlabsSignature(secret: string, body: string, at = Date.now()) {
  const t = Math.floor(at / 1000);
  return `t=${t},v0=${await hmacHex(secret, `${t}.${body}`)}`;
}

export async function postElevenlabs(
  channelId: string,
  auth: { secret: string; signedAt?: number } | { token: string } | null,
  payload: unknown,
  options: CallOptions = {},
) {
  const body = typeof payload === "string" ? payload : JSON.stringify(payload);
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (auth && "secret" in auth)
    headers["elevenlabs-signature"] = await elevenlabsSignature(auth.secret, body, auth.signedAt);
  if (auth && "token" in auth) headers["x-webhook-token"] = auth.token;
  return call(`/webhooks/elevenlabs/${channelId}`, {
    ...options,
    method: "POST",
    body,
    headers: { ...headers, ...options.headers },
  });
}

/** A post_call_transcription as ElevenLabs posts it (phone call through Twilio). */
export function elevenlabsTranscription(
  overrides: { conversationId?: string; customer?: string; direction?: string } = {},
) {
  return {
    type: "post_call_transcription",
    event_timestamp: Math.floor(Date.parse("2026-12-01T10:05:00Z") / 1000),
    data: {
      agent_id: "agent_01jbanco",
      conversation_id: overrides.conversationId ?? unique("conv_"),
      status: "done",
      transcript: [
        { role: "agent", message: "Banco Sol, em que posso ajudar?", time_in_call_secs: 0 },
        { role: "user", message: "Quero bloquear meu cartão.", time_in_call_secs: 4 },
        { role: "agent", message: null, time_in_call_secs: 6, tool_calls: [{ tool_name: "block_card" }] },
        { role: "agent", message: "Pronto, cartão bloqueado.", time_in_call_secs: 9 },
      ],
      metadata: {
        start_time_unix_secs: Math.floor(Date.parse("2026-12-01T10:00:00Z") / 1000),
        call_duration_secs: 62,
        cost: 410,
        termination_reason: "end_call tool was called.",
        phone_call: {
          direction: overrides.direction ?? "inbound",
          phone_number_id: "pn_01",
          agent_number: "+525550001111",
          external_number: overrides.customer ?? mobile(),
          type: "twilio",
          call_sid: `CA${unique("x")}`,
        },
      },
      analysis: {
        evaluation_criteria_results: {},
        data_collection_results: { motivo: { value: "bloqueio", rationale: "..." } },
        call_successful: "success",
        transcript_summary: "Cliente pediu o bloqueio do cartão; bloqueado.",
      },
      conversation_initiation_client_data: { dynamic_variables: {} },
    },
  };
}

export function elevenlabsFailure(reason: string, conversationId = unique("conv_"), to = mobile()) {
  return {
    type: "call_initiation_failure",
    event_timestamp: Math.floor(Date.parse("2026-12-01T11:00:00Z") / 1000),
    data: {
      agent_id: "agent_01jbanco",
      conversation_id: conversationId,
      failure_reason: reason,
      metadata: {
        type: "twilio",
        body: { CallSid: `CA${unique("x")}`, To: to, From: "+525550001111", CallStatus: reason },
      },
    },
  };
}

/** The call a provider's id names, with its events. */
export async function storedCall(provider: string, providerCallId: string) {
  return withDb(async (db) => {
    const [row] = await db
      .select()
      .from(calls)
      .where(and(eq(calls.provider, provider), eq(calls.providerCallId, providerCallId)));
    const events = row
      ? await db.select().from(callEvents).where(eq(callEvents.callId, row.id)).orderBy(callEvents.occurredAt)
      : [];
    return { row, events };
  });
}

/** What a channel has stored: calls, their events, kept webhook bodies. Refused webhooks leave all at 0. */
export const voiceCounts = (organizationId: string, channelId: string) =>
  withDb(async (db) => {
    const [row] = await db
      .select({
        calls: sql<number>`(select count(*)::int from ${calls} where ${calls.organizationId} = ${organizationId})`,
        callEvents: sql<number>`(select count(*)::int from ${callEvents} where ${callEvents.organizationId} = ${organizationId})`,
        webhookEvents: sql<number>`(select count(*)::int from ${webhookEvents} where ${webhookEvents.channelId} = ${channelId})`,
      })
      .from(sql`(select 1) as one`);
    return row;
  });

export const webhookStatuses = (channelId: string) =>
  withDb(async (db) =>
    (
      await db
        .select({ status: webhookEvents.status, reason: webhookEvents.reason })
        .from(webhookEvents)
        .where(eq(webhookEvents.channelId, channelId))
        .orderBy(webhookEvents.id)
    ).map((r) => r.status),
  );
