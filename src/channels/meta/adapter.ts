import * as z from "zod";
import { hmacSha256Hex, timingSafeEqual } from "@/platform/crypto";
import { acceptedMessageId, describeWith, ProviderError, providerFetch, readAnswer } from "../http";
import {
  type ContentReader,
  contentReader,
  epochDate,
  type MessageContent,
  phoneSender,
  unsupported,
} from "../inbound";
import { checkStatedSize, fetchMedia, mediaUrl } from "../media";
import { parseJson } from "../parse";
import type { ChannelAdapter, DeliveryStatus, InboundEvent, Media, OutboundMessage } from "../types";
import {
  type MetaInteractive,
  type MetaMessage,
  type MetaStatus,
  type MetaWebhook,
  metaButton,
  metaContacts,
  metaErrorAnswer,
  metaInteractive,
  metaLocation,
  metaMedia,
  metaMediaInfo,
  metaReaction,
  metaSendAnswer,
  metaText,
  metaWebhook,
} from "./payload";

// Without an access token the channel still receives; its sends are simulated.
const config = z.object({
  phoneNumberId: z.string().min(1),
  accessToken: z.string().min(1).optional(),
  appSecret: z.string().min(1),
  verifyToken: z.string().min(1),
});
export type MetaConfig = z.infer<typeof config>;

const statuses: Record<string, DeliveryStatus> = {
  sent: "sent",
  delivered: "delivered",
  read: "read",
  failed: "failed",
};
// Meta answers throughput and transient errors with these codes (often under HTTP 400).
const RETRYABLE_CODES = new Set(["4", "80007", "130429", "131000", "131016", "131048", "131056", "133004"]);

const mediaOf = (m: z.infer<typeof metaMedia>): Media => ({
  providerMediaId: m.id,
  mimeType: m.mime_type,
  caption: m.caption,
  filename: m.filename,
  voice: m.voice,
});

function flowResponse(json: string | undefined): unknown {
  if (json === undefined) return undefined;
  try {
    return JSON.parse(json);
  } catch {
    return json;
  }
}

/** Button and list replies map; a WhatsApp Flow's reply (nfm_reply) keeps its response; the rest is unsupported. */
function interactiveContent(interactive: MetaInteractive, message: MetaMessage): MessageContent {
  const providerType = `interactive.${interactive.type}`;
  if (interactive.errors?.length) return unsupported(providerType, message);
  const reply =
    interactive.type === "button_reply"
      ? interactive.button_reply
      : interactive.type === "list_reply"
        ? interactive.list_reply
        : undefined;
  if (reply) return { type: "interactive", text: reply.title, content: { replyId: reply.id, title: reply.title } };
  const flow = interactive.type === "nfm_reply" ? interactive.nfm_reply : undefined;
  if (flow) {
    return {
      type: "interactive",
      ...(flow.body !== undefined ? { text: flow.body } : {}),
      content: { flow: { name: flow.name, body: flow.body, response: flowResponse(flow.response_json) } },
    };
  }
  return unsupported(providerType, message);
}

/** Every message type Switchboard maps, by the type that also names its sub-object. */
const contentReaders: readonly ContentReader<MetaMessage>[] = [
  contentReader("text", metaText, (text) => ({ type: "text", text: text.body })),
  ...(["audio", "image", "document", "video", "sticker"] as const).map((type) =>
    contentReader(type, metaMedia, (media): MessageContent => ({ type, media: mediaOf(media), text: media.caption })),
  ),
  contentReader("location", metaLocation, (location) => ({ type: "location", content: { ...location } })),
  contentReader("contacts", metaContacts, (contacts) => ({ type: "contact", content: { contacts } })),
  contentReader("interactive", metaInteractive, interactiveContent),
  contentReader("button", metaButton, (button) => ({
    type: "interactive",
    text: button.text,
    content: { replyId: button.payload, title: button.text },
  })),
  contentReader("reaction", metaReaction, (reaction) => ({
    type: "reaction",
    text: reaction.emoji,
    content: { emoji: reaction.emoji, messageId: reaction.message_id },
  })),
];

function inboundEvent(message: MetaMessage, name: string | undefined): InboundEvent {
  // Meta verified the number it reports; one libphonenumber does not know is still kept.
  const from = phoneSender(message.from, name);
  if (!from) return { kind: "ignored", reason: "sender is not a phone number" };
  const reader = contentReaders.find((r) => r.key === message.type);
  return {
    kind: "message",
    idempotencyKey: message.id,
    providerMessageId: message.id,
    from,
    timestamp: epochDate(message.timestamp),
    // Meta's own "unsupported", and any type it adds, stays the customer's message.
    ...(reader ? reader.read(message) : unsupported(message.type, message)),
  };
}

function statusEvent(status: MetaStatus): InboundEvent {
  const mapped = statuses[status.status];
  if (!mapped) return { kind: "ignored", reason: `status ${status.status}` };
  const error = status.errors?.[0];
  return {
    kind: "status",
    idempotencyKey: `${status.id}:${mapped}`,
    providerMessageId: status.id,
    status: mapped,
    timestamp: epochDate(status.timestamp),
    ...(error ? { error: { code: String(error.code), message: error.message ?? error.title ?? "failed" } } : {}),
  };
}

function inboundEvents(webhook: MetaWebhook, cfg: MetaConfig): InboundEvent[] {
  if (webhook.object !== "whatsapp_business_account") return [{ kind: "ignored", reason: `object ${webhook.object}` }];
  const events: InboundEvent[] = [];
  for (const entry of webhook.entry) {
    for (const change of entry.changes) {
      const value = change.value;
      if (change.field !== "messages") {
        events.push({ kind: "ignored", reason: `field ${change.field}` });
        continue;
      }
      // One app can serve several numbers; only this channel's number is ours.
      if (value.metadata && value.metadata.phone_number_id !== cfg.phoneNumberId) {
        events.push({ kind: "ignored", reason: "another phone number id" });
        continue;
      }
      const names = new Map((value.contacts ?? []).map((c) => [c.wa_id, c.profile?.name]));
      for (const message of value.messages ?? []) events.push(inboundEvent(message, names.get(message.from)));
      for (const status of value.statuses ?? []) events.push(statusEvent(status));
    }
  }
  return events;
}

function requestBody(to: string, message: OutboundMessage): Record<string, unknown> {
  const common = { messaging_product: "whatsapp", recipient_type: "individual", to: to.replace(/^\+/, "") };
  switch (message.kind) {
    case "text":
      return { ...common, type: "text", text: { body: message.text, preview_url: false } };
    case "media":
      return {
        ...common,
        type: message.mediaType,
        [message.mediaType]: {
          link: message.mediaUrl,
          ...(message.caption && message.mediaType !== "audio" ? { caption: message.caption } : {}),
        },
      };
    case "template":
      return {
        ...common,
        type: "template",
        template: {
          name: message.name,
          language: { code: message.language },
          components: [
            ...(message.variables?.length
              ? [{ type: "body", parameters: message.variables.map((text) => ({ type: "text", text })) }]
              : []),
            // An authentication template's copy-code (or one-tap) button is a URL button at index 0.
            ...(message.buttonCode
              ? [
                  {
                    type: "button",
                    sub_type: "url",
                    index: "0",
                    parameters: [{ type: "text", text: message.buttonCode }],
                  },
                ]
              : []),
          ],
        },
      };
  }
}

export const metaAdapter: ChannelAdapter<MetaConfig> = {
  type: "whatsapp_meta",
  provider: "meta",
  baseUrlEnv: "META_GRAPH_URL",
  defaultBaseUrl: "https://graph.facebook.com/v21.0",
  configSchema: config,
  sendFields: ["phoneNumberId", "accessToken"],
  serviceWindow: () => true,

  webhookRoutes: [{ method: "POST" }],
  webhookUrls: (publicUrl, channelId) => ({ webhook: `${publicUrl}/webhooks/meta/${channelId}` }),

  async verify(request, cfg) {
    const header = request.headers.get("x-hub-signature-256") ?? "";
    if (!header.startsWith("sha256=")) return false;
    const expected = `sha256=${await hmacSha256Hex(cfg.appSecret, request.rawBody)}`;
    return timingSafeEqual(header, expected);
  },

  parse(request, cfg) {
    return inboundEvents(parseJson(request.rawBody, metaWebhook), cfg);
  },

  async send(ctx, cfg, to, message) {
    if (!to.phone) {
      throw new ProviderError("WhatsApp needs a phone number to send to", { retryable: false, code: "no_phone" });
    }
    const response = await providerFetch(
      ctx.fetch,
      `${ctx.baseUrl}/${encodeURIComponent(cfg.phoneNumberId)}/messages`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${cfg.accessToken}`, "content-type": "application/json" },
        body: JSON.stringify(requestBody(to.phone, message)),
      },
      { describe: describeWith(metaErrorAnswer), retryableCodes: RETRYABLE_CODES },
    );
    return { providerMessageId: await acceptedMessageId("Meta", response, metaSendAnswer) };
  },

  // A media id is resolved with the Graph API (GET /{media-id} → a short-lived URL), and that URL
  // is fetched with the same bearer token.
  async downloadMedia(ctx, cfg, media, limits) {
    if (!cfg.accessToken) {
      throw new ProviderError("the channel has no accessToken to download media with", {
        retryable: false,
        code: "not_configured",
      });
    }
    if (!media.providerMediaId) {
      throw new ProviderError("the message has no media id", { retryable: false, code: "no_media_id" });
    }
    const headers = { authorization: `Bearer ${cfg.accessToken}` };
    const describe = describeWith(metaErrorAnswer);
    const answer = await providerFetch(
      ctx.fetch,
      `${ctx.baseUrl}/${encodeURIComponent(media.providerMediaId)}`,
      { method: "GET", headers },
      { timeoutMs: limits.timeoutMs, describe, retryableCodes: RETRYABLE_CODES },
    );
    const info = readAnswer(await answer.text(), metaMediaInfo);
    checkStatedSize(info?.file_size, limits);
    const url = mediaUrl(info?.url, "Meta");
    return fetchMedia(
      ctx.fetch,
      url,
      headers,
      limits,
      { ...media, mimeType: media.mimeType ?? info?.mime_type },
      describe,
    );
  },

  async challenge(url, cfg) {
    const params = new URL(url).searchParams;
    if (params.get("hub.mode") !== "subscribe") return null;
    const ok = await timingSafeEqual(params.get("hub.verify_token") ?? "", cfg.verifyToken);
    return ok ? (params.get("hub.challenge") ?? "") : null;
  },
};
