import * as z from "zod";
import { MalformedPayloadError } from "../types";

// The subset of Twilio's Messaging webhooks that Switchboard reads. Twilio posts
// application/x-www-form-urlencoded, so every value is a string. Unknown parameters pass through
// (Twilio adds parameters without notice); missing required ones make the body malformed.
// https://www.twilio.com/docs/messaging/guides/webhook-request
// https://www.twilio.com/docs/messaging/guides/outbound-message-status-in-status-callbacks

const sid = z.string().min(1).max(64);
const optional = z.string().optional();

/** The request to the incoming-message URL (SMS, MMS and WhatsApp). */
export const twilioInbound = z.looseObject({
  MessageSid: sid,
  AccountSid: optional,
  From: z.string().min(1),
  To: optional,
  Body: optional,
  NumMedia: z
    .string()
    .regex(/^\d{1,2}$/, "NumMedia must be a small number")
    .optional(),
  // WhatsApp only: the sender's profile name, a shared location, a quick-reply button tapped.
  ProfileName: optional,
  WaId: optional,
  MessageType: optional,
  Latitude: optional,
  Longitude: optional,
  Address: optional,
  Label: optional,
  ButtonText: optional,
  ButtonPayload: optional,
});
export type TwilioInbound = z.infer<typeof twilioInbound>;

/** The status callback of an outbound message (the StatusCallback we pass when sending). */
export const twilioStatus = z.looseObject({
  MessageSid: sid,
  MessageStatus: z.string().min(1),
  ErrorCode: optional,
  ErrorMessage: optional,
});
export type TwilioStatus = z.infer<typeof twilioStatus>;

/** Form body → parameters (the last value wins for a repeated name; Twilio repeats none). */
export function formParams(rawBody: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(rawBody));
}

/** Form body → parameters as the signature validator wants them (repeated names as arrays). */
export function signedParams(rawBody: string): Record<string, string | string[]> {
  const params: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(rawBody)) {
    const seen = params[key];
    params[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return params;
}

export function parseForm<T>(schema: z.ZodType<T>, rawBody: string): T {
  const parsed = schema.safeParse(formParams(rawBody));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new MalformedPayloadError(issue ? `${issue.path.join(".") || "body"}: ${issue.message}` : "unexpected shape");
  }
  return parsed.data;
}
