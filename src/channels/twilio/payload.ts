import * as z from "zod";

// The subset of Twilio's Messaging webhooks that Switchboard reads. Twilio posts
// application/x-www-form-urlencoded, so every value is a string. Unknown parameters pass through
// (Twilio adds parameters without notice); a missing MessageSid or From makes the body malformed.
// The content parameters (NumMedia and MediaUrl<n>, Latitude and Longitude) are read by the
// adapter: content it cannot read makes the message "unsupported", not malformed.
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
  NumMedia: optional,
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

/** Form body → parameters as the signature validator wants them (repeated names as arrays). */
export function signedParams(rawBody: string): Record<string, string | string[]> {
  const params: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(rawBody)) {
    const seen = params[key];
    params[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return params;
}

// Answers of the REST API to a send.

/** The Message resource: {"sid": "SM...", "status": "queued", ...} */
export const twilioSendAnswer = z.looseObject({ sid: z.string().min(1) }).transform((answer) => answer.sid);

/** {"code", "message", "more_info", "status"}: https://www.twilio.com/docs/usage/twilios-response#response-formats-exceptions */
export const twilioErrorAnswer = z
  .looseObject({ code: z.unknown().optional(), message: z.unknown().optional() })
  .transform((answer) => ({
    message: typeof answer.message === "string" ? answer.message : undefined,
    code: typeof answer.code === "number" || typeof answer.code === "string" ? String(answer.code) : undefined,
  }));
