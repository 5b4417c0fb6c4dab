import * as z from "zod";
import { timingSafeEqual } from "@/platform/crypto";
import { acceptedMessageId, describeWith, ProviderError, providerFetch } from "../http";
import {
  type ContentReader,
  contentReader,
  epochDate,
  phoneSender,
  presentReader,
  unknownContentKey,
  unsupported,
} from "../inbound";
import { fetchMedia, mediaUrl } from "../media";
import { parseJson, parseValue } from "../parse";
import type { ChannelSettings } from "../settings";
import type { ChannelAdapter, DeliveryStatus, InboundEvent, OutboundMessage, Recipient, Sender } from "../types";
import {
  type ZapiCallback,
  type ZapiReceived,
  type ZapiStatus,
  zapiAudio,
  zapiButtonsResponse,
  zapiCallback,
  zapiContact,
  zapiDocument,
  zapiErrorAnswer,
  zapiImage,
  zapiListResponse,
  zapiLocation,
  zapiReaction,
  zapiReceived,
  zapiSendAnswer,
  zapiStatus,
  zapiSticker,
  zapiText,
  zapiVideo,
} from "./payload";

// Z-API (api.z-api.io) drives a WhatsApp Web session: no templates, no 24-hour window, and no
// webhook signatures. Its webhook URL carries a per-channel secret instead, checked in verify().
const config = z.object({
  instanceId: z.string().min(1).optional(),
  instanceToken: z.string().min(1).optional(),
  /** The account security token, sent as the Client-Token header. */
  clientToken: z.string().min(1).optional(),
});
export type ZapiConfig = z.infer<typeof config>;

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

function senderOf(m: ZapiReceived): Sender | null {
  // Our own phone's messages carry the chat partner in chatName; senderName is ourselves.
  const rawName = m.fromMe ? m.chatName : (m.senderName ?? m.chatName);
  // Without a saved profile name Z-API repeats the number: that is not a name.
  const name = rawName && !/^\+?\d+$/.test(rawName.trim()) ? rawName.trim() : undefined;
  if (isGroupChat(m)) {
    // A group is the conversation: the contact is the group, answered by its id.
    return { identity: { kind: "zapi", externalId: m.phone }, name: blank(m.chatName) };
  }
  // A number WhatsApp hides behind a LID ("<digits>@lid") is no phone number, but the person is
  // still a customer: the LID names the conversation, and Z-API answers it by that id.
  if (m.phone.endsWith("@lid")) return { identity: { kind: "zapi", externalId: m.phone }, name };
  return phoneSender(m.phone, name);
}

/** Every kind of content Switchboard maps, in the order Z-API's fields are tried. */
const contentReaders: readonly ContentReader<ZapiReceived>[] = [
  contentReader("reaction", zapiReaction, (reaction) => {
    const emoji = blank(reaction.value);
    return { type: "reaction", text: emoji, content: { emoji, messageId: reaction.referencedMessage.messageId } };
  }),
  contentReader("buttonsResponseMessage", zapiButtonsResponse, ({ buttonId, message }) => {
    const title = blank(message) ?? blank(buttonId);
    return { type: "interactive", text: title, content: { replyId: blank(buttonId), title } };
  }),
  contentReader("listResponseMessage", zapiListResponse, ({ selectedRowId, title, message }) => {
    const text = blank(title) ?? blank(message) ?? blank(selectedRowId);
    return { type: "interactive", text, content: { replyId: blank(selectedRowId), title: text } };
  }),
  contentReader("text", zapiText, (text) => ({ type: "text", text: text.message })),
  contentReader("image", zapiImage, (image) => {
    const caption = blank(image.caption);
    return { type: "image", text: caption, media: { url: image.imageUrl, mimeType: blank(image.mimeType), caption } };
  }),
  contentReader("audio", zapiAudio, (audio) => ({
    type: "audio",
    media: {
      url: audio.audioUrl,
      mimeType: blank(audio.mimeType),
      voice: audio.ptt ?? undefined,
      ...(typeof audio.seconds === "number" ? { durationSeconds: audio.seconds } : {}),
    },
  })),
  contentReader("video", zapiVideo, (video) => {
    const caption = blank(video.caption);
    return { type: "video", text: caption, media: { url: video.videoUrl, mimeType: blank(video.mimeType), caption } };
  }),
  contentReader("document", zapiDocument, (document) => {
    const caption = blank(document.caption);
    return {
      type: "document",
      text: caption,
      media: {
        url: document.documentUrl,
        mimeType: blank(document.mimeType),
        caption,
        filename: blank(document.fileName) ?? blank(document.title),
      },
    };
  }),
  contentReader("sticker", zapiSticker, (sticker) => ({
    type: "sticker",
    media: { url: sticker.stickerUrl, mimeType: blank(sticker.mimeType) },
  })),
  contentReader("location", zapiLocation, (location) => {
    const name = blank(location.name);
    const address = blank(location.address);
    const { latitude, longitude } = location;
    return {
      type: "location",
      content: { latitude, longitude, ...(name ? { name } : {}), ...(address ? { address } : {}) },
    };
  }),
  contentReader("contact", zapiContact, (contact) => {
    // Shaped like the Cloud API's contacts (name.formatted_name, phones[].phone), plus the vCard.
    const card = {
      name: { formatted_name: blank(contact.displayName) },
      phones: (contact.phones ?? []).map((phone) => ({ phone })),
      ...(contact.vCard ? { vcard: contact.vCard } : {}),
    };
    return { type: "contact", content: { contacts: [card] } };
  }),
];

// Objects of a received callback that describe the message rather than carry its content.
const ENVELOPE_OBJECTS = new Set(["externalAdReply", "referencedMessage", "profile"]);

function inboundEvent(m: ZapiReceived, settings: ChannelSettings): InboundEvent {
  // Our own API sends echo back as fromMe+fromApi; they are already stored as outbound messages.
  if (m.fromMe && m.fromApi) return { kind: "ignored", reason: "echo of a message sent through the API" };
  if (m.fromMe && settings.ignoreFromMe) return { kind: "ignored", reason: "sent from the connected phone (fromMe)" };
  if (isGroupChat(m) && settings.ignoreGroups) return { kind: "ignored", reason: "group message" };
  if (m.isEdit) return { kind: "ignored", reason: "edit of an earlier message" };
  const from = senderOf(m);
  if (!from) return { kind: "ignored", reason: "sender is not a phone number" };
  const reader = presentReader(contentReaders, m);
  if (!reader) {
    // Notifications (calls, group changes) carry nothing the customer wrote.
    if (m.notification) return { kind: "ignored", reason: `notification ${m.notification}` };
    // Stored now under its id, the decrypted message Z-API sends later would be a duplicate.
    if (m.waitingMessage) return { kind: "ignored", reason: "message not yet decrypted (waitingMessage)" };
  }
  return {
    kind: "message",
    idempotencyKey: m.messageId,
    providerMessageId: m.messageId,
    from,
    timestamp: epochDate(m.momment),
    ...(reader ? reader.read(m) : unsupported(unknownContentKey(m, ENVELOPE_OBJECTS), m)),
  };
}

function statusEvents(callback: ZapiStatus): InboundEvent[] {
  const status = statuses[callback.status.toUpperCase()];
  if (!status) return [{ kind: "ignored", reason: `status ${callback.status}` }];
  const timestamp = epochDate(callback.momment);
  return callback.ids.map((id) => ({
    kind: "status" as const,
    idempotencyKey: `${id}:${callback.status.toUpperCase()}`,
    providerMessageId: id,
    status,
    timestamp,
  }));
}

function inboundEvents(callback: ZapiCallback, settings: ChannelSettings): InboundEvent[] {
  switch (callback.type.toLowerCase()) {
    case "receivedcallback":
      return [inboundEvent(parseValue(callback, zapiReceived), settings)];
    case "messagestatuscallback":
      return statusEvents(parseValue(callback, zapiStatus));
    default:
      // DeliveryCallback (our own sends), PresenceChatCallback, (Dis)ConnectedCallback, ...
      return [{ kind: "ignored", reason: `callback ${callback.type}` }];
  }
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

function requestBody(phone: string, message: OutboundMessage): { path: string; body: Record<string, unknown> } {
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

export const zapiAdapter: ChannelAdapter<ZapiConfig> = {
  type: "whatsapp_zapi",
  provider: "zapi",
  baseUrlEnv: "ZAPI_BASE_URL",
  defaultBaseUrl: "https://api.z-api.io",
  configSchema: config,
  sendFields: ["instanceId", "instanceToken", "clientToken"],
  serviceWindow: () => false,

  // Paste into every Z-API webhook (received, message status); the last segment is the secret.
  webhookRoutes: [{ method: "POST", route: ":secret" }],
  webhookUrls: (publicUrl, channelId, webhookSecret) => ({
    webhook: `${publicUrl}/webhooks/zapi/${channelId}/${webhookSecret}`,
  }),

  async verify(request, _cfg, webhookSecret) {
    if (!webhookSecret) return false;
    return timingSafeEqual(request.route ?? "", webhookSecret);
  },

  parse(request, _cfg, settings) {
    return inboundEvents(parseJson(request.rawBody, zapiCallback), settings);
  },

  async send(ctx, cfg, to, message) {
    const { path, body } = requestBody(destination(to), message);
    const url = `${ctx.baseUrl}/instances/${encodeURIComponent(cfg.instanceId ?? "")}/token/${encodeURIComponent(cfg.instanceToken ?? "")}/${path}`;
    const response = await providerFetch(
      ctx.fetch,
      url,
      {
        method: "POST",
        headers: { "client-token": cfg.clientToken ?? "", "content-type": "application/json" },
        body: JSON.stringify(body),
      },
      { describe: describeWith(zapiErrorAnswer) },
    );
    return { providerMessageId: await acceptedMessageId("Z-API", response, zapiSendAnswer) };
  },

  // Z-API hands over a public (temporary) file URL such as audioUrl: a plain GET, no credentials.
  async downloadMedia(ctx, _cfg, media, limits) {
    return fetchMedia(ctx.fetch, mediaUrl(media.url, "Z-API"), {}, limits, media);
  },
};
