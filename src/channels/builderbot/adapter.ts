import { createHash } from "node:crypto";
import * as z from "zod";
import { timingSafeEqual } from "@/platform/crypto";
import { acceptedMessageId, describeWith, ProviderError, providerFetch } from "../http";
import { type MessageContent, phoneSender, unsupported } from "../inbound";
import { fetchMedia, mediaUrl } from "../media";
import { parseJson, parseValue } from "../parse";
import type { ChannelAdapter, InboundEvent, Media, OutboundMessage } from "../types";
import {
  type BuilderbotContent,
  type BuilderbotIncoming,
  builderbotContent,
  builderbotErrorAnswer,
  builderbotIncomingWebhook,
  builderbotSendAnswer,
  builderbotWebhook,
} from "./payload";

const config = z.object({
  /** x-api-builderbot key of the project (Settings → API in BuilderBot Cloud). */
  apiKey: z.string().min(1).optional(),
  /** The bot (project) id in /api/v2/{botId}/messages. */
  botId: z.string().min(1).optional(),
  /** Overrides the API origin (default https://app.builderbot.cloud, or BUILDERBOT_API_URL). */
  apiUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** Value of the X-Webhook-Token header BuilderBot sends; without it, the channel's webhook secret. */
  webhookToken: z.string().min(1).optional(),
});
export type BuilderbotConfig = z.infer<typeof config>;

type MediaKind = "image" | "audio" | "video" | "document" | "sticker";

// BuilderBot writes a placeholder into `body` for non-text messages: _event_media__<uuid>,
// _event_voice_note__<uuid>, _event_document__<uuid>, _event_location__<uuid>, ...
const PLACEHOLDER = /^_event_([a-z_]+?)__/i;
// "media" is an image or a video: the file name decides, else image.
const placeholderKinds: Record<string, MediaKind> = {
  image: "image",
  video: "video",
  voice_note: "audio",
  audio: "audio",
  document: "document",
  sticker: "sticker",
};
const MAX_MEDIA = 10;

function kindOf(mimeType: string | undefined, url: string, placeholder: string | undefined): MediaKind {
  const major = mimeType?.split("/")[0]?.toLowerCase();
  if (mimeType?.toLowerCase().startsWith("image/webp") && placeholder === "sticker") return "sticker";
  if (major === "image" || major === "audio" || major === "video") return major;
  if (mimeType) return "document";
  const known = placeholder ? placeholderKinds[placeholder] : undefined;
  if (known) return known;
  const extension = url.split(/[?#]/)[0]?.split(".").pop()?.toLowerCase() ?? "";
  if (["jpg", "jpeg", "png", "gif", "webp"].includes(extension)) return "image";
  if (["ogg", "oga", "opus", "mp3", "m4a", "aac", "amr", "wav"].includes(extension)) return "audio";
  if (["mp4", "3gp", "mov", "webm"].includes(extension)) return "video";
  return placeholder === "media" ? "image" : "document";
}

/** Every media of the message: the attachment list, and urlTempFile when it is not already there. */
function mediaOf(content: BuilderbotContent, placeholder: string | undefined): (Media & { kind: MediaKind })[] {
  const found: (Media & { kind: MediaKind })[] = [];
  const add = (url: string | null | undefined, mimeType?: string | null, filename?: string | null) => {
    if (!url || found.some((m) => m.url === url)) return;
    const mime = mimeType || undefined;
    found.push({
      url,
      mimeType: mime,
      filename: filename || undefined,
      kind: kindOf(mime, url, placeholder),
      ...(placeholder === "voice_note" ? { voice: true } : {}),
    });
  };
  for (const item of content.attachment ?? []) {
    if (typeof item === "string") add(item);
    else add(item.url, item.mimetype ?? item.mime_type ?? item.mimeType, item.filename ?? item.fileName);
  }
  add(content.urlTempFile);
  return found.slice(0, MAX_MEDIA);
}

/** What the message says, one content per media; null when it says nothing. */
function contentsOf(data: BuilderbotIncoming): MessageContent[] | null {
  const parsed = builderbotContent.safeParse(data);
  // Content in a shape we do not know is still the customer's message.
  if (!parsed.success) return [unsupported("message", data)];
  const body = parsed.data.body?.trim() ?? "";
  const placeholder = PLACEHOLDER.exec(body)?.[1]?.toLowerCase();
  const text = placeholder ? undefined : body || undefined;
  const media = mediaOf(parsed.data, placeholder);
  if (media.length > 0) {
    return media.map(({ kind, ...m }, i) => {
      const caption = i === 0 ? text : undefined;
      return { type: kind, media: { ...m, ...(caption ? { caption } : {}) }, ...(caption ? { text: caption } : {}) };
    });
  }
  // A location, contact or file announced by its placeholder but not attached: BuilderBot did not
  // pass on what the customer sent, yet they sent something.
  if (placeholder) return [unsupported(placeholder, data)];
  return text ? [{ type: "text", text }] : null;
}

function inboundEvents(
  data: BuilderbotIncoming,
  channelId: string,
  rawBody: string,
  ignoreGroups: boolean,
): InboundEvent[] {
  // A group id is no phone: even with ignoreGroups off there is no customer to file it under.
  if (data.from.endsWith("@g.us")) {
    return [{ kind: "ignored", reason: ignoreGroups ? "group message" : "group sender is not a phone number" }];
  }
  const from = phoneSender(data.from, data.name || undefined);
  if (!from) return [{ kind: "ignored", reason: "sender is not a phone number" }];
  const contents = contentsOf(data);
  if (!contents) return [{ kind: "ignored", reason: "empty message" }];

  // Idempotency: BuilderBot's webhook carries no message id in its documented shape. When the
  // payload has one we use it; otherwise the SHA-256 of the raw body identifies the delivery, as
  // a retry repeats the body byte for byte. The channel id is part of the key because keys are
  // unique per provider, across every channel: the same text from the same person to two bots is
  // two messages. The cost: one person sending the identical body twice to one bot (no id, no
  // time in the payload) is indistinguishable from a redelivery and is stored once.
  const providerId = [data.messageId, data.id, data.key?.id].find((v) => v !== null && v !== undefined && v !== "");
  const id =
    providerId === undefined ? `sha256:${createHash("sha256").update(rawBody).digest("hex")}` : String(providerId);
  const key = `${channelId}:${id}`;
  const timestamp = new Date();
  return contents.map((content, i) => ({
    kind: "message",
    idempotencyKey: i === 0 ? key : `${key}:${i}`,
    providerMessageId: i === 0 ? id : `${id}:${i}`,
    from,
    timestamp,
    ...content,
  }));
}

function requestBody(message: OutboundMessage): { content: string; mediaUrl?: string } {
  switch (message.kind) {
    case "text":
      return { content: message.text };
    case "media":
      return { content: message.caption ?? "", mediaUrl: message.mediaUrl };
    case "template":
      throw new ProviderError("BuilderBot cannot send WhatsApp templates", {
        retryable: false,
        code: "template_unsupported",
      });
  }
}

export const builderbotAdapter: ChannelAdapter<BuilderbotConfig> = {
  type: "whatsapp_builderbot",
  provider: "builderbot",
  baseUrlEnv: "BUILDERBOT_API_URL",
  defaultBaseUrl: "https://app.builderbot.cloud",
  configSchema: config,
  sendFields: ["apiKey", "botId"],
  // BuilderBot sends through its own WhatsApp session; the Cloud API's 24-hour rule is not ours to enforce.
  serviceWindow: () => false,

  // The generated secret is the X-Webhook-Token to configure unless config.webhookToken is set.
  webhookRoutes: [{ method: "POST" }],
  webhookUrls: (publicUrl, channelId, webhookSecret) => ({
    webhook: `${publicUrl}/webhooks/builderbot/${channelId}`,
    defaultWebhookToken: webhookSecret,
  }),

  async verify(request, cfg, webhookSecret) {
    const token = request.headers.get("x-webhook-token");
    const expected = cfg.webhookToken || webhookSecret;
    if (!token || !expected) return false;
    return timingSafeEqual(token, expected);
  },

  parse(request, _cfg, settings) {
    const event = parseJson(request.rawBody, builderbotWebhook);
    if (event.eventName !== "message.incoming") return [{ kind: "ignored", reason: `event ${event.eventName}` }];
    const { data } = parseValue(event, builderbotIncomingWebhook);
    return inboundEvents(data, request.channelId, request.rawBody, settings.ignoreGroups);
  },

  async send(ctx, cfg, to, message) {
    if (!cfg.apiKey || !cfg.botId) {
      throw new ProviderError("the channel has no apiKey or botId to send with", {
        retryable: false,
        code: "not_configured",
      });
    }
    if (!to.phone) {
      throw new ProviderError("BuilderBot needs a phone number to send to", { retryable: false, code: "no_phone" });
    }
    const base = (cfg.apiUrl || ctx.baseUrl).replace(/\/+$/, "");
    const response = await providerFetch(
      ctx.fetch,
      `${base}/api/v2/${encodeURIComponent(cfg.botId)}/messages`,
      {
        method: "POST",
        headers: { "x-api-builderbot": cfg.apiKey, "content-type": "application/json" },
        body: JSON.stringify({
          messages: requestBody(message),
          // Digits with the country code, no plus.
          number: to.phone.replace(/\D/g, ""),
          checkIfExists: false,
        }),
      },
      { describe: describeWith(builderbotErrorAnswer) },
    );
    // BuilderBot reports no delivery status, so its id only has to be unique on the channel; when
    // the answer carries none, a random one stands in (the message was taken: never a resend).
    const standIn = () => `bb-out:${crypto.randomUUID()}`;
    return { providerMessageId: await acceptedMessageId("BuilderBot", response, builderbotSendAnswer, standIn) };
  },

  // BuilderBot's attachment and urlTempFile URLs are temporary public links: a plain GET. The
  // project key goes only to BuilderBot's own API origin, never to a host a payload names.
  async downloadMedia(ctx, cfg, media, limits) {
    const url = mediaUrl(media.url, "BuilderBot");
    const api = new URL((cfg.apiUrl || ctx.baseUrl).replace(/\/+$/, ""));
    const headers: Record<string, string> =
      cfg.apiKey && new URL(url).origin === api.origin ? { "x-api-builderbot": cfg.apiKey } : {};
    return fetchMedia(ctx.fetch, url, headers, limits, media);
  },
};
