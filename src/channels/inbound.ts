import type { ZodType } from "zod";
import { senderPhone } from "@/platform/phone";
import type { InboundMessageEvent, Sender } from "./types";

// Building blocks of the inbound mappers every adapter shares, so that each provider states only
// what is its own: where a kind of content sits in its messages and how it maps.

/** What a provider message says, apart from who sent it, when, and under which ids. */
export type MessageContent = Omit<
  InboundMessageEvent,
  "kind" | "idempotencyKey" | "providerMessageId" | "from" | "timestamp"
>;

/**
 * A customer's message Switchboard cannot map: kept whole (the provider's own message object), so
 * that nothing a customer wrote is lost and a later version can map it from the stored row.
 */
export function unsupported(providerType: string, raw: unknown): MessageContent {
  return { type: "unsupported", content: { providerType, raw } };
}

/** One kind of content: the key it sits under in the provider's message, and how it maps. */
export type ContentReader<M> = { readonly key: string; read(message: M): MessageContent };

/**
 * A reader of the sub-object under `key`. A message whose sub-object is missing or unreadable is
 * still the customer's message: it becomes "unsupported" (with the whole message), never a 400.
 */
export function contentReader<M extends Record<string, unknown>, T>(
  key: string,
  schema: ZodType<T>,
  map: (value: T, message: M) => MessageContent,
): ContentReader<M> {
  return {
    key,
    read(message) {
      const parsed = schema.safeParse(message[key]);
      return parsed.success ? map(parsed.data, message) : unsupported(key, message);
    },
  };
}

/** The first reader whose key the message carries (neither null nor undefined). */
export function presentReader<M extends Record<string, unknown>>(
  readers: readonly ContentReader<M>[],
  message: M,
): ContentReader<M> | undefined {
  return readers.find((reader) => message[reader.key] !== undefined && message[reader.key] !== null);
}

/** The key of the first object in a message that is not part of its envelope: the kind of its content. */
export function unknownContentKey(message: Record<string, unknown>, envelope: ReadonlySet<string>): string {
  const key = Object.keys(message).find((k) => !envelope.has(k) && typeof message[k] === "object" && message[k]);
  return key ?? "unknown";
}

/**
 * A sender by phone number, or null when the value cannot be one. A number the provider reported
 * but libphonenumber does not know is kept (phoneVerified: false): it never costs the message.
 */
export function phoneSender(raw: string, name: string | undefined): Sender | null {
  const sender = senderPhone(raw);
  if (!sender) return null;
  return { phone: sender.phone, ...(sender.verified ? {} : { phoneVerified: false }), name };
}

/**
 * A provider's epoch time, in seconds or milliseconds (a value in seconds would otherwise land in
 * 1970), as a Date. Absent, garbage or out of range (a broken clock, a mutated body): now.
 */
export function epochDate(value: number | string | null | undefined): Date {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isFinite(n) || n <= 0) return new Date();
  const date = new Date(n < 1e12 ? n * 1000 : n);
  return Number.isNaN(date.getTime()) ? new Date() : date;
}
