import * as z from "zod";
import { timingSafeEqual } from "@/platform/crypto";
import { normalizePhone } from "@/platform/phone";
import { jsonOrEmpty, ProviderError, providerFetch } from "../http";
import type { ChannelSettings } from "../settings";
import {
  type ChannelAdapter,
  type DeliveryStatus,
  type InboundEvent,
  type InboundMessageEvent,
  MalformedPayloadError,
  type OutboundMessage,
  type Recipient,
  type Sender,
} from "../types";
import { type ZapiReceived, zapiCallback, zapiReceived, zapiStatus } from "./payload";

// Z-API (api.z-api.io) drives a WhatsApp Web session: no templates, no 24-hour window, and no
// webhook signatures. Its webhook URL carries a per-channel secret instead, checked in verify().
const config = z.object({
  instanceId: z.string().min(1).optional(),
  instanceToken: z.string().min(1).optional(),
  /** The account security token, sent as the Client-Token header. */
  clientToken: z.string().min(1).optional(),
});
type ZapiConfig = z.infer<typeof config>;

const statuses: Record<string, DeliveryStatus> = {
  SENT: "sent",
  RECEIVED: "delivered",
  READ: "read",
  PLAYED: "read",
};

const blank = (value: string | null | undefined): string | undefined => (value ? value : undefined);

/** Group chats come as "<id>-group" (older) or "<id>@g.us"; channels as "<id>@newsletter". */
const isGroupChat = (m: ZapiReceived) =>
  Boolean(m.isGroup) || /-group$|@g\.us$/.test(m.phone) || Boolean(m.isNewsletter) || m.phone.endsWith("@newsletter");

function timestampOf(momment: number | null | undefined): Date {
  if (typeof momment !== "number" || !Number.isFinite(momment) || momment <= 0) return new Date();
  // Z-API sends milliseconds; a value in seconds would land in 1970.
  return new Date(momment < 1e12 ? momment * 1000 : momment);
}

function senderOf(m: ZapiReceived): Sender | null {
  // Our own phone's messages carry the chat partner in chatName; senderName is ourselves.
  const rawName = m.fromMe ? m.chatName : (m.senderName ?? m.chatName);
  // Without a saved profile name Z-API repeats the number: that is not a name.
  const name = rawName && !/^\+?\d+$/.test(rawName.trim()) ? rawName.trim() : undefined;
  if (isGroupChat(m)) {
    // A group is the conversation: the contact is the group, answered by its id.
    return { identity: { kind: "zapi", externalId: m.phone }, name: blank(m.chatName) };
  }
  // Numbers hidden behind a WhatsApp LID ("<digits>@lid") are not phone numbers.
  if (m.phone.endsWith("@lid")) return null;
  const phone = normalizePhone(m.phone);
  return phone ? { phone, name } : null;
}

type Content = Omit<InboundMessageEvent, "kind" | "idempotencyKey" | "providerMessageId" | "from" | "timestamp">;

function contentOf(m: ZapiReceived): Content | null {
  if (m.reaction) {
    const emoji = blank(m.reaction.value);
    return { type: "reaction", text: emoji, content: { emoji, messageId: m.reaction.referencedMessage.messageId } };
  }
  if (m.buttonsResponseMessage) {
    const { buttonId, message } = m.buttonsResponseMessage;
    const title = blank(message) ?? blank(buttonId);
    return { type: "interactive", text: title, content: { replyId: blank(buttonId), title } };
  }
  if (m.listResponseMessage) {
    const { selectedRowId, title, message } = m.listResponseMessage;
    const text = blank(title) ?? blank(message) ?? blank(selectedRowId);
    return { type: "interactive", text, content: { replyId: blank(selectedRowId), title: text } };
  }
  if (m.text) return { type: "text", text: m.text.message };
  if (m.image) {
    const caption = blank(m.image.caption);
    return {
      type: "image",
      text: caption,
      media: { url: m.image.imageUrl, mimeType: blank(m.image.mimeType), caption },
    };
  }
  if (m.audio) {
    return {
      type: "audio",
      media: { url: m.audio.audioUrl, mimeType: blank(m.audio.mimeType), voice: m.audio.ptt ?? undefined },
    };
  }
  if (m.video) {
    const caption = blank(m.video.caption);
    return {
      type: "video",
      text: caption,
      media: { url: m.video.videoUrl, mimeType: blank(m.video.mimeType), caption },
    };
  }
  if (m.document) {
    const caption = blank(m.document.caption);
    return {
      type: "document",
      text: caption,
      media: {
        url: m.document.documentUrl,
        mimeType: blank(m.document.mimeType),
        caption,
        filename: blank(m.document.fileName) ?? blank(m.document.title),
      },
    };
  }
  if (m.sticker) return { type: "sticker", media: { url: m.sticker.stickerUrl, mimeType: blank(m.sticker.mimeType) } };
  if (m.location) {
    const { latitude, longitude } = m.location;
    const name = blank(m.location.name);
    const address = blank(m.location.address);
    return {
      type: "location",
      content: { latitude, longitude, ...(name ? { name } : {}), ...(address ? { address } : {}) },
    };
  }
  if (m.contact) {
    // Shaped like the Cloud API's contacts (name.formatted_name, phones[].phone), plus the vCard.
    const contact = {
      name: { formatted_name: blank(m.contact.displayName) },
      phones: (m.contact.phones ?? []).map((phone) => ({ phone })),
      ...(m.contact.vCard ? { vcard: m.contact.vCard } : {}),
    };
    return { type: "contact", content: { contacts: [contact] } };
  }
  return null;
}

function receivedEvent(m: ZapiReceived, settings: ChannelSettings): InboundEvent {
  // Our own API sends echo back as fromMe+fromApi; they are already stored as outbound messages.
  if (m.fromMe && m.fromApi) return { kind: "ignored", reason: "echo of a message sent through the API" };
  if (m.fromMe && settings.ignoreFromMe) return { kind: "ignored", reason: "sent from the connected phone (fromMe)" };
  if (isGroupChat(m) && settings.ignoreGroups) return { kind: "ignored", reason: "group message" };
  if (m.isEdit) return { kind: "ignored", reason: "edit of an earlier message" };
  const from = senderOf(m);
  if (!from) return { kind: "ignored", reason: "sender is not a phone number" };
  const content = contentOf(m);
  if (!content) {
    return {
      kind: "ignored",
      reason: m.notification ? `notification ${m.notification}` : "unsupported message content",
    };
  }
  return {
    kind: "message",
    idempotencyKey: m.messageId,
    providerMessageId: m.messageId,
    from,
    timestamp: timestampOf(m.momment),
    ...content,
  };
}

/** The number (digits only) or group id Z-API sends to. */
function destination(to: Recipient): string {
  if (to.phone) return to.phone.replace(/\D/g, "");
  if (to.identity?.kind === "zapi" && to.identity.externalId) return to.identity.externalId;
  throw new ProviderError("Z-API needs the contact's phone number to send to", {
    retryable: false,
    code: "no_recipient",
  });
}

function fileNameOf(mediaUrl: string): { fileName: string; extension: string } {
  let last = "";
  try {
    last = decodeURIComponent(new URL(mediaUrl).pathname.split("/").pop() ?? "");
  } catch {
    last = "";
  }
  const match = /\.([A-Za-z0-9]{1,10})$/.exec(last);
  // Z-API needs an extension in the path; without one in the URL, PDF is the usual case.
  const extension = match?.[1]?.toLowerCase() ?? "pdf";
  return { fileName: last && match ? last : `document.${extension}`, extension };
}

function request(phone: string, message: OutboundMessage): { path: string; body: Record<string, unknown> } {
  switch (message.kind) {
    case "text":
      return { path: "send-text", body: { phone, message: message.text } };
    case "media": {
      const caption = message.caption ? { caption: message.caption } : {};
      switch (message.mediaType) {
        case "image":
          return { path: "send-image", body: { phone, image: message.mediaUrl, ...caption } };
        case "audio":
          return { path: "send-audio", body: { phone, audio: message.mediaUrl } };
        case "video":
          return { path: "send-video", body: { phone, video: message.mediaUrl, ...caption } };
        case "document": {
          const { fileName, extension } = fileNameOf(message.mediaUrl);
          return {
            path: `send-document/${encodeURIComponent(extension)}`,
            body: { phone, document: message.mediaUrl, fileName, ...caption },
          };
        }
      }
      break;
    }
    case "template":
      break;
  }
  throw new ProviderError(
    "Z-API does not support WhatsApp template messages; send text or media, or use a WhatsApp Cloud API channel",
    { retryable: false, code: "template_unsupported" },
  );
}

/** Z-API errors look like {"error": "...", "message": "..."}. */
function describe(text: string): { message?: string; code?: string } {
  const json = jsonOrEmpty(text);
  const error = typeof json.error === "string" ? json.error : undefined;
  const message = typeof json.message === "string" ? json.message : undefined;
  const joined = [error, message].filter(Boolean).join(": ");
  return { message: joined || undefined };
}

export const zapiAdapter: ChannelAdapter<ZapiConfig> = {
  type: "whatsapp_zapi",
  provider: "zapi",
  baseUrlEnv: "ZAPI_BASE_URL",
  defaultBaseUrl: "https://api.z-api.io",
  configSchema: config,
  sendFields: ["instanceId", "instanceToken", "clientToken"],
  serviceWindow: () => false,

  // Paste into every Z-API webhook (received, message status); the last segment is the secret.
  webhookUrls: (publicUrl, channelId, webhookSecret) => ({
    webhook: `${publicUrl}/webhooks/zapi/${channelId}/${webhookSecret}`,
  }),

  async verify(request, _cfg, webhookSecret) {
    if (!webhookSecret) return false;
    return timingSafeEqual(request.route ?? "", webhookSecret);
  },

  parse(request, _cfg, settings) {
    let json: unknown;
    try {
      json = JSON.parse(request.rawBody);
    } catch {
      throw new MalformedPayloadError("body is not JSON");
    }
    const callback = zapiCallback.safeParse(json);
    if (!callback.success) throw new MalformedPayloadError("not a Z-API callback (no type)");
    const kind = callback.data.type.toLowerCase();
    if (kind === "receivedcallback") {
      const parsed = zapiReceived.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new MalformedPayloadError(issue ? `${issue.path.join(".")}: ${issue.message}` : "unexpected shape");
      }
      return [receivedEvent(parsed.data, settings)];
    }
    if (kind === "messagestatuscallback") {
      const parsed = zapiStatus.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new MalformedPayloadError(issue ? `${issue.path.join(".")}: ${issue.message}` : "unexpected shape");
      }
      const status = statuses[parsed.data.status.toUpperCase()];
      if (!status) return [{ kind: "ignored", reason: `status ${parsed.data.status}` }];
      const timestamp = timestampOf(parsed.data.momment);
      return parsed.data.ids.map((id) => ({
        kind: "status" as const,
        idempotencyKey: `${id}:${parsed.data.status.toUpperCase()}`,
        providerMessageId: id,
        status,
        timestamp,
      }));
    }
    // DeliveryCallback (our own sends), PresenceChatCallback, (Dis)ConnectedCallback, ...
    return [{ kind: "ignored", reason: `callback ${callback.data.type}` }];
  },

  async send(ctx, cfg, to, message) {
    const { path, body } = request(destination(to), message);
    const url = `${ctx.baseUrl}/instances/${encodeURIComponent(cfg.instanceId ?? "")}/token/${encodeURIComponent(cfg.instanceToken ?? "")}/${path}`;
    const response = await providerFetch(
      ctx.fetch,
      url,
      {
        method: "POST",
        headers: { "client-token": cfg.clientToken ?? "", "content-type": "application/json" },
        body: JSON.stringify(body),
      },
      { describe },
    );
    const json = jsonOrEmpty(await response.text());
    const id = [json.messageId, json.zaapId, json.id].find((v): v is string => typeof v === "string" && v !== "");
    if (!id) {
      // The send may have gone out: failing it is safer than sending it twice.
      throw new ProviderError(describe(JSON.stringify(json)).message ?? "Z-API answered without a message id", {
        status: response.status,
        retryable: false,
        code: "no_message_id",
      });
    }
    return { providerMessageId: id };
  },
};
