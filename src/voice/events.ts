import type { ZodType } from "zod";
import type { MessageDirection } from "@/db/schema";
import type { EventType } from "@/notify/job";
import type { CallRow, CallStatus } from "./calls";

/** What a voice agent's event may set on a call (upsertCall keeps the rest as stored). */
export type CallFields = Partial<
  Pick<
    CallRow,
    | "fromNumber"
    | "toNumber"
    | "startedAt"
    | "answeredAt"
    | "endedAt"
    | "durationSeconds"
    | "recordingUrl"
    | "transcript"
    | "transcriptTurns"
    | "summary"
    | "sentiment"
    | "analysis"
    | "successful"
    | "disconnectionReason"
    | "providerAgentId"
    | "metadata"
  >
>;

/** One provider event about one call, normalized. */
export type CallEvent = {
  kind: "call";
  /** call_events.kind, e.g. `retell.call_ended`. */
  eventKind: string;
  /** The event's identity within its call: a redelivery carries the same key. */
  key: string;
  providerCallId: string;
  direction: MessageDirection;
  status: CallStatus;
  /** The customer's number (the caller of an inbound call, the callee of an outbound one). */
  customerNumber: string | null;
  fields: CallFields;
  occurredAt?: Date;
  /** Events for the organization's events webhook, sent once per call and type. */
  notify: EventType[];
};

/** A well-formed event Switchboard does not act on, kept as an `ignored` webhook event. */
export type IgnoredVoiceEvent = { kind: "ignored"; reason: string };

export type VoiceEvent = CallEvent | IgnoredVoiceEvent;

/** What a voice provider's webhook needs: its channel type, signature check and parser. */
export type VoiceWebhook<Config> = {
  provider: "retell" | "elevenlabs";
  channelType: "retell" | "elevenlabs";
  configSchema: ZodType<Config>;
  /** Constant-time check against the raw body. Must not throw on garbage. */
  verify(headers: Headers, rawBody: string, config: Config, now: Date): Promise<boolean>;
  /** Normalizes a verified body; throws MalformedPayloadError for a body not of the provider's shape. */
  parse(rawBody: string): VoiceEvent;
  /**
   * A body over the size limit that may be acknowledged unread (ElevenLabs' audio webhook), given
   * its first bytes: the reason, or null to refuse it with 413.
   */
  oversized?(prefix: string): string | null;
};

/** Empty strings and arrays say nothing: left out so they never overwrite what another event stored. */
export function present<T>(value: T | null | undefined): T | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === "string" && value.trim() === "") return undefined;
  if (Array.isArray(value) && value.length === 0) return undefined;
  return value;
}

/** Epoch milliseconds or an ISO string as a Date; undefined when absent or unreadable. */
export function toDate(value: number | string | null | undefined, unit: "ms" | "s" = "ms"): Date | undefined {
  if (value === null || value === undefined || value === "") return undefined;
  const date = typeof value === "number" ? new Date(unit === "s" ? value * 1000 : value) : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
