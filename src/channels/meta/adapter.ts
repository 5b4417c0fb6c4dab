import * as z from "zod";
import { hmacSha256Hex, timingSafeEqual } from "@/platform/crypto";
import { normalizePhone } from "@/platform/phone";
import { jsonOrEmpty, providerFetch } from "../http";
import {
  type ChannelAdapter,
  type DeliveryStatus,
  type InboundEvent,
  type InboundMessageEvent,
  MalformedPayloadError,
  type OutboundMessage,
} from "../types";
import { type MetaMessage, metaWebhook } from "./payload";

// Without an access token the channel still receives; its sends are simulated.
const config = z.object({
  phoneNumberId: z.string().min(1),
  accessToken: z.string().min(1).optional(),
  appSecret: z.string().min(1),
  verifyToken: z.string().min(1),
});
type MetaConfig = z.infer<typeof config>;

const statuses: Record<string, DeliveryStatus> = {
  sent: "sent",
  delivered: "delivered",
  read: "read",
  failed: "failed",
};
// Meta answers throughput and transient errors with these codes (often under HTTP 400).
const RETRYABLE_CODES = new Set(["4", "80007", "130429", "131000", "131016", "131048", "131056", "133004"]);

function toEvent(message: MetaMessage, name: string | undefined): InboundEvent {
  const phone = normalizePhone(message.from);
  if (!phone) return { kind: "ignored", reason: "sender is not a phone number" };
  const base = {
    kind: "message" as const,
    idempotencyKey: message.id,
    providerMessageId: message.id,
    from: { phone, name },
    timestamp: new Date(Number(message.timestamp) * 1000),
  };
  const mediaOf = (m: NonNullable<MetaMessage["image"]>) => ({
    providerMediaId: m.id,
    mimeType: m.mime_type,
    caption: m.caption,
    filename: m.filename,
    voice: m.voice,
  });
  const event = ((): Omit<InboundMessageEvent, keyof typeof base> | null => {
    switch (message.type) {
      case "text":
        return message.text ? { type: "text", text: message.text.body } : null;
      case "audio":
      case "image":
      case "document":
      case "video":
      case "sticker": {
        const m = message[message.type];
        return m ? { type: message.type, media: mediaOf(m), text: m.caption } : null;
      }
      case "location":
        return message.location ? { type: "location", content: { ...message.location } } : null;
      case "contacts":
        return message.contacts ? { type: "contact", content: { contacts: message.contacts } } : null;
      case "interactive": {
        const reply = message.interactive?.button_reply ?? message.interactive?.list_reply;
        return reply
          ? { type: "interactive", text: reply.title, content: { replyId: reply.id, title: reply.title } }
          : null;
      }
      case "button":
        return message.button
          ? {
              type: "interactive",
              text: message.button.text,
              content: { replyId: message.button.payload, title: message.button.text },
            }
          : null;
      case "reaction":
        return message.reaction
          ? {
              type: "reaction",
              text: message.reaction.emoji,
              content: { emoji: message.reaction.emoji, messageId: message.reaction.message_id },
            }
          : null;
      default:
        return null;
    }
  })();
  if (event === null) {
    if (
      [
        "text",
        "audio",
        "image",
        "document",
        "video",
        "sticker",
        "location",
        "contacts",
        "interactive",
        "button",
        "reaction",
      ].includes(message.type)
    ) {
      throw new MalformedPayloadError(`message ${message.id} of type ${message.type} lacks its ${message.type} object`);
    }
    return { kind: "ignored", reason: `unsupported message type ${message.type}` };
  }
  return { ...base, ...event };
}

function body(to: string, message: OutboundMessage): Record<string, unknown> {
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
          components: message.variables?.length
            ? [{ type: "body", parameters: message.variables.map((text) => ({ type: "text", text })) }]
            : [],
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

  webhookUrls: (publicUrl, channelId) => ({ webhook: `${publicUrl}/webhooks/meta/${channelId}` }),

  async verify(request, cfg) {
    const header = request.headers.get("x-hub-signature-256") ?? "";
    if (!header.startsWith("sha256=")) return false;
    const expected = `sha256=${await hmacSha256Hex(cfg.appSecret, request.rawBody)}`;
    return timingSafeEqual(header, expected);
  },

  parse(request, cfg) {
    let json: unknown;
    try {
      json = JSON.parse(request.rawBody);
    } catch {
      throw new MalformedPayloadError("body is not JSON");
    }
    const parsed = metaWebhook.safeParse(json);
    if (!parsed.success) throw new MalformedPayloadError(parsed.error.issues[0]?.message ?? "unexpected shape");
    if (parsed.data.object !== "whatsapp_business_account")
      return [{ kind: "ignored", reason: `object ${parsed.data.object}` }];
    const events: InboundEvent[] = [];
    for (const entry of parsed.data.entry) {
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
        for (const message of value.messages ?? []) events.push(toEvent(message, names.get(message.from)));
        for (const status of value.statuses ?? []) {
          const mapped = statuses[status.status];
          if (!mapped) {
            events.push({ kind: "ignored", reason: `status ${status.status}` });
            continue;
          }
          const error = status.errors?.[0];
          events.push({
            kind: "status",
            idempotencyKey: `${status.id}:${mapped}`,
            providerMessageId: status.id,
            status: mapped,
            timestamp: new Date(Number(status.timestamp) * 1000),
            ...(error
              ? { error: { code: String(error.code), message: error.message ?? error.title ?? "failed" } }
              : {}),
          });
        }
      }
    }
    return events;
  },

  async send(ctx, cfg, to, message) {
    if (!to.phone) throw new Error("WhatsApp needs a phone number to send to");
    const response = await providerFetch(
      ctx.fetch,
      `${ctx.baseUrl}/${encodeURIComponent(cfg.phoneNumberId)}/messages`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${cfg.accessToken}`, "content-type": "application/json" },
        body: JSON.stringify(body(to.phone, message)),
      },
      {
        describe: (text) => {
          const error = jsonOrEmpty(text).error as { message?: string; code?: number } | undefined;
          return { message: error?.message, code: error?.code === undefined ? undefined : String(error.code) };
        },
        retryableCodes: RETRYABLE_CODES,
      },
    );
    const json = (await response.json()) as { messages?: { id?: string }[] };
    const id = json.messages?.[0]?.id;
    if (!id) throw new Error("Meta answered without a message id");
    return { providerMessageId: id };
  },

  async challenge(url, cfg) {
    const params = new URL(url).searchParams;
    if (params.get("hub.mode") !== "subscribe") return null;
    const ok = await timingSafeEqual(params.get("hub.verify_token") ?? "", cfg.verifyToken);
    return ok ? (params.get("hub.challenge") ?? "") : null;
  },
};
