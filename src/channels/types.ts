import type { ZodType } from "zod";
import type { ChannelSettings } from "./settings";

/** The channel types an organization can create; each maps to one provider adapter. */
export const channelTypes = [
  "whatsapp_meta",
  "whatsapp_zapi",
  "whatsapp_builderbot",
  "twilio_sms",
  "telegram",
] as const;
export type ChannelType = (typeof channelTypes)[number];

/**
 * Voice channel types: calls, not messages. They are channels for the API (credentials sealed,
 * webhook URLs shown) but have no messaging adapter: their webhooks live in src/voice.
 */
export const voiceChannelTypes = ["twilio_voice", "retell", "elevenlabs"] as const;
export type VoiceChannelType = (typeof voiceChannelTypes)[number];

/** Every type a channel row can have. */
export const allChannelTypes = [...channelTypes, ...voiceChannelTypes] as const;
export type AnyChannelType = (typeof allChannelTypes)[number];

/** What the channels API needs of any channel type: its credentials' schema and its webhook URLs. */
export type ChannelDefinition = {
  readonly configSchema: ZodType<Record<string, unknown>>;
  webhookUrls(publicUrl: string, channelId: string, webhookSecret: string): Record<string, string>;
};

export const inboundMessageTypes = [
  "text",
  "audio",
  "image",
  "document",
  "video",
  "location",
  "contact",
  "interactive",
  "sticker",
  "reaction",
  /** A customer's message of a kind Switchboard does not map (yet): content {providerType, raw}. */
  "unsupported",
] as const;
export type InboundMessageType = (typeof inboundMessageTypes)[number];

export type Media = {
  url?: string;
  providerMediaId?: string;
  mimeType?: string;
  caption?: string;
  filename?: string;
  /** Voice note (push-to-talk) rather than an audio file. */
  voice?: boolean;
  /** Length of an audio or video in seconds, where the provider reports it. */
  durationSeconds?: number;
};

/** An inbound message's media, fetched from the provider with the channel's credentials. */
export type DownloadedMedia = { bytes: Uint8Array; mimeType?: string; filename: string };

/** How much a download may bring: a larger file fails with MediaTooLargeError before it is read whole. */
export type DownloadLimits = { maxBytes: number; timeoutMs: number };

/** Who wrote: a phone (E.164) for phone-based channels, else an identity at the provider. */
export type Sender = {
  phone?: string;
  /** false when the provider's number did not normalize (kept as "+" and its digits); absent means verified. */
  phoneVerified?: boolean;
  identity?: { kind: string; externalId: string };
  name?: string;
};

export type InboundMessageEvent = {
  kind: "message";
  /** Unique within the provider (wamid, Z-API messageId, MessageSid, `<channel>:<update_id>`). */
  idempotencyKey: string;
  providerMessageId: string;
  from: Sender;
  timestamp: Date;
  type: InboundMessageType;
  text?: string;
  media?: Media;
  /**
   * Type-specific content: {latitude, longitude, name?, address?}, {contacts: [...]}, {replyId, title},
   * {flow: {name, body, response}}, {emoji, messageId}; for "unsupported", {providerType, raw}.
   */
  content?: Record<string, unknown>;
};

export const deliveryStatuses = ["sent", "delivered", "read", "failed"] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];

export type StatusEvent = {
  kind: "status";
  idempotencyKey: string;
  /** The provider id of the outbound message this status is about. */
  providerMessageId: string;
  status: DeliveryStatus;
  timestamp: Date;
  error?: { code?: string; message: string };
};

/** A well-formed event Switchboard does not act on (group message, echo, unknown event type). */
export type IgnoredEvent = { kind: "ignored"; reason: string };

export type InboundEvent = InboundMessageEvent | StatusEvent | IgnoredEvent;

/** What an adapter sees of a webhook request; the raw body is verified before it is parsed. */
export type WebhookRequest = {
  /** The channel the webhook URL names (Telegram update ids are only unique per bot). */
  channelId: string;
  method: string;
  /** The public URL the provider called (PUBLIC_URL + path + query), as signatures cover it. */
  url: string;
  headers: Headers;
  rawBody: string;
  /** Extra path segment after the channel id (Twilio: "sms" | "sms-status"). */
  route?: string;
};

export type OutboundMessage =
  | { kind: "text"; text: string }
  | { kind: "media"; mediaUrl: string; mediaType: "image" | "audio" | "video" | "document"; caption?: string }
  | {
      kind: "template";
      name: string;
      language: string;
      variables?: string[];
      /** A one-time code for an authentication template's copy-code button (the Cloud API wants it there too). */
      buttonCode?: string;
    };

export type Recipient = { phone?: string; identity?: { kind: string; externalId: string } };

export type SendResult = { providerMessageId: string };

/** Context every adapter call gets: where the provider's API lives (configurable for tests and proxies). */
export type ProviderContext = {
  /** Base URL of the provider API, from env (META_GRAPH_URL, ZAPI_BASE_URL, ...) or the default. */
  baseUrl: string;
  fetch: typeof fetch;
  /** For status callback URLs (Twilio): the deployment's PUBLIC_URL and the sending channel. */
  publicUrl: string;
  channelId: string;
};

/**
 * A parse failure: the body is not the provider's format at all (not JSON or form, top-level shape
 * wrong). The webhook answers 400 and stores nothing. A body in the provider's format whose message
 * Switchboard does not understand is not malformed: it becomes an "unsupported" message.
 */
export class MalformedPayloadError extends Error {}

/**
 * A webhook route an adapter serves: POST /webhooks/<provider>/<channelId>[/<route>]. A route
 * that starts with ":" is a path parameter in Hono's syntax; ":secret" is the channel's webhook
 * secret (Z-API, which cannot sign). The value reaches verify() and parse() as request.route.
 */
export type WebhookRoute = { readonly method: "POST"; readonly route?: string };

export interface ChannelAdapter<Config extends Record<string, string>> {
  readonly type: ChannelType;
  /** Namespace of idempotency keys and the webhook path segment: /webhooks/<provider>/<channelId>. */
  readonly provider: "meta" | "zapi" | "builderbot" | "twilio" | "telegram";
  /** The env variable naming the API base URL, and its production default. */
  readonly baseUrlEnv: string;
  readonly defaultBaseUrl: string;
  /** Credentials the channel needs; all stored encrypted, none ever returned. */
  readonly configSchema: ZodType<Config>;
  /** Config fields needed to send; without them sends are simulated. */
  readonly sendFields: readonly (keyof Config & string)[];
  /** Whether WhatsApp's 24-hour customer-service window applies to free-form sends. */
  serviceWindow(config: Config): boolean;
  /** Every webhook route the provider calls, so tests and tools can discover them from the registry. */
  readonly webhookRoutes: readonly WebhookRoute[];
  /** Webhook URLs to paste into the provider's console. */
  webhookUrls(publicUrl: string, channelId: string, webhookSecret: string): Record<string, string>;
  /** Constant-time check of the provider's signature or secret. Must not throw on garbage. */
  verify(request: WebhookRequest, config: Config, webhookSecret: string): Promise<boolean>;
  /** Normalizes a verified body into events; throws MalformedPayloadError for a body of the wrong shape. */
  parse(request: WebhookRequest, config: Config, settings: ChannelSettings): InboundEvent[];
  send(ctx: ProviderContext, config: Config, to: Recipient, message: OutboundMessage): Promise<SendResult>;
  /**
   * Fetches an inbound message's media (as parse() stored it) with the channel's credentials.
   * Throws ProviderError (retryable or not) and MediaTooLargeError (src/channels/media.ts).
   */
  downloadMedia?(ctx: ProviderContext, config: Config, media: Media, limits: DownloadLimits): Promise<DownloadedMedia>;
  /** GET subscription handshake (Meta): the challenge to echo, or null to refuse. */
  challenge?(url: string, config: Config): Promise<string | null>;
}
