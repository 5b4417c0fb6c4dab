// Twilio Messaging webhooks, shaped as Twilio sends them (form-encoded), and their signature.
// The signature is computed here with WebCrypto, independently of the twilio package the adapter
// uses, so a test cannot pass because both sides share one mistake.
import { type CallOptions, call } from "./http";

/** The deployment's PUBLIC_URL in tests (wrangler.toml [vars]): what Twilio would call. */
export const PUBLIC_URL = "http://localhost:8787";

let seq = 0;
const hex32 = () => {
  const base = `${Date.now().toString(16)}${(++seq).toString(16).padStart(4, "0")}`;
  const random = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join(
    "",
  );
  return `${base}${random}`.slice(0, 32);
};
export const messageSid = () => `SM${hex32()}`;
export const accountSid = () => `AC${hex32()}`;
export const mediaSid = () => `ME${hex32()}`;
export const contentSid = () => `HX${hex32()}`;

/** Twilio's algorithm: base64(HMAC-SHA1(authToken, url + each param name and value, sorted by name)). */
export async function twilioSignature(authToken: string, url: string, params: Record<string, string>) {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + params[key], url);
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(authToken),
    { name: "HMAC", hash: "SHA-1" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(data)));
  return btoa(String.fromCharCode(...mac));
}

/** The parameters of an inbound SMS as Twilio posts them; `overrides` adds or replaces some. */
export function twilioInboundParams(account: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    ToCountry: "US",
    ToState: "CA",
    SmsMessageSid: overrides.MessageSid ?? "",
    NumMedia: "0",
    ToCity: "",
    FromZip: "",
    SmsSid: overrides.MessageSid ?? "",
    FromState: "SP",
    SmsStatus: "received",
    FromCity: "SAO PAULO",
    Body: "Olá, quero um orçamento",
    FromCountry: "BR",
    To: "+14155550100",
    MessagingServiceSid: "",
    ToZip: "",
    NumSegments: "1",
    MessageSid: overrides.MessageSid ?? messageSid(),
    AccountSid: account,
    From: "+5511987654321",
    ApiVersion: "2010-04-01",
    ...overrides,
  };
}

/** A WhatsApp-over-Twilio inbound message (whatsapp: prefixes, profile name, WaId). */
export function twilioWhatsAppParams(account: string, overrides: Record<string, string> = {}): Record<string, string> {
  const sid = overrides.MessageSid ?? messageSid();
  return {
    SmsMessageSid: sid,
    NumMedia: "0",
    ProfileName: "Maria Cliente",
    MessageType: "text",
    SmsSid: sid,
    WaId: "5511987654321",
    SmsStatus: "received",
    Body: "Oi pelo WhatsApp",
    To: "whatsapp:+14155238886",
    NumSegments: "1",
    ReferralNumMedia: "0",
    MessageSid: sid,
    AccountSid: account,
    ChannelMetadata: JSON.stringify({ type: "whatsapp", data: { context: { ProfileName: "Maria Cliente" } } }),
    From: "whatsapp:+5511987654321",
    ApiVersion: "2010-04-01",
    ...overrides,
  };
}

/** A status callback for an outbound message. */
export function twilioStatusParams(
  account: string,
  sid: string,
  status: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    SmsSid: sid,
    SmsStatus: status,
    MessageStatus: status,
    To: "+5511987654321",
    MessageSid: sid,
    AccountSid: account,
    From: "+14155550100",
    ApiVersion: "2010-04-01",
    ...extra,
  };
}

export async function postTwilio(
  channelId: string,
  route: "sms" | "sms-status",
  authToken: string,
  params: Record<string, string> | string,
  /** signature: null sends none; signedUrl: the URL to sign instead of the one called. */
  options: CallOptions & { signature?: string | null; signedUrl?: string } = {},
) {
  const path = `/webhooks/twilio/${channelId}/${route}`;
  const body = typeof params === "string" ? params : new URLSearchParams(params).toString();
  const signature =
    options.signature !== undefined
      ? options.signature
      : await twilioSignature(
          authToken,
          options.signedUrl ?? `${PUBLIC_URL}${path}`,
          typeof params === "string" ? Object.fromEntries(new URLSearchParams(params)) : params,
        );
  return call(path, {
    ...options,
    method: "POST",
    body,
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      ...(signature === null ? {} : { "x-twilio-signature": signature }),
      "i-twilio-idempotency-token": crypto.randomUUID(),
      ...options.headers,
    },
  });
}
