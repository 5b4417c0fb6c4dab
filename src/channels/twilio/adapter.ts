// Only the webhook helpers of the twilio package: the package root pulls in the whole REST
// client (~550 KiB gzip). This module needs node:crypto, url and querystring (nodejs_compat).
import { validateRequest } from "twilio/lib/webhooks/webhooks";
import * as z from "zod";
import { acceptedMessageId, describeWith, ProviderError, providerFetch } from "../http";
import { type MessageContent, phoneSender, unsupported } from "../inbound";
import { fetchMedia, mediaUrl } from "../media";
import { parseForm } from "../parse";
import type { ChannelAdapter, DeliveryStatus, InboundEvent, InboundMessageEvent, OutboundMessage } from "../types";
import {
  signedParams,
  type TwilioInbound,
  type TwilioStatus,
  twilioErrorAnswer,
  twilioInbound,
  twilioSendAnswer,
  twilioStatus,
} from "./payload";

const config = z.object({
  /** Signs every webhook (X-Twilio-Signature) and, with the account SID, authenticates sends. */
  authToken: z.string().min(1),
  accountSid: z.string().min(1).optional(),
  /** The sender: +14155550100 for SMS, whatsapp:+14155238886 for WhatsApp over Twilio. */
  phoneNumber: z.string().min(1).optional(),
});
export type TwilioConfig = z.infer<typeof config>;

const WHATSAPP = "whatsapp:";
const isWhatsApp = (phoneNumber: string | undefined) => phoneNumber?.toLowerCase().startsWith(WHATSAPP) ?? false;

// queued, accepted, scheduled, sending, canceled, receiving, received: nothing to record.
const statuses: Record<string, DeliveryStatus> = {
  sent: "sent",
  delivered: "delivered",
  read: "read",
  failed: "failed",
  undelivered: "failed",
};

// Twilio's content templates are addressed by their Content SID.
const CONTENT_SID = /^HX[0-9a-f]{32}$/i;
// Twilio accepts at most 10 media per message.
const MAX_MEDIA = 10;

function mediaType(contentType: string | undefined): InboundMessageEvent["type"] {
  const kind = contentType?.split("/")[0]?.toLowerCase();
  return kind === "image" || kind === "audio" || kind === "video" ? kind : "document";
}

/** A Twilio media URL ends in the Media SID: .../Messages/MM.../Media/ME... */
function mediaSid(url: string): string | undefined {
  const last = url.split(/[?#]/)[0]?.split("/").pop();
  return last && /^ME[0-9a-f]{32}$/i.test(last) ? last : undefined;
}

/** One event per media: the first is the message (its body the caption), each further one keyed by index. */
function mediaContents(params: TwilioInbound, count: number, text: string | undefined): MessageContent[] | null {
  const contents: MessageContent[] = [];
  for (let i = 0; i < Math.min(count, MAX_MEDIA); i++) {
    const url = params[`MediaUrl${i}`];
    if (typeof url !== "string" || !url) return null;
    const contentType = params[`MediaContentType${i}`];
    const mimeType = typeof contentType === "string" && contentType ? contentType : undefined;
    const type = params.MessageType === "sticker" && i === 0 ? "sticker" : mediaType(mimeType);
    const caption = i === 0 ? text : undefined;
    contents.push({ type, media: { url, providerMediaId: mediaSid(url), mimeType, caption }, text: caption });
  }
  return contents;
}

function locationContent(params: TwilioInbound): MessageContent | null {
  const latitude = Number(params.Latitude);
  const longitude = Number(params.Longitude);
  if (!params.Latitude || !params.Longitude || !Number.isFinite(latitude) || !Number.isFinite(longitude)) return null;
  return {
    type: "location",
    content: {
      latitude,
      longitude,
      ...(params.Label ? { name: params.Label } : {}),
      ...(params.Address ? { address: params.Address } : {}),
    },
  };
}

/** Twilio's MessageType (WhatsApp only) when it says more than "text", else what we found. */
const typeOf = (params: TwilioInbound, found: string) =>
  params.MessageType && params.MessageType !== "text" ? params.MessageType : found;

/** What the message says; null when it says nothing (an empty SMS). */
function contentOf(params: TwilioInbound): MessageContent | MessageContent[] | null {
  const text = params.Body || undefined;
  const media = params.NumMedia;
  const count = media === undefined ? 0 : /^\d{1,2}$/.test(media) ? Number(media) : Number.NaN;
  if (count !== 0) {
    // A NumMedia or MediaUrl<n> that does not read is still the customer's message.
    return (count > 0 && mediaContents(params, count, text)) || unsupported(typeOf(params, "media"), params);
  }
  if (params.Latitude !== undefined || params.Longitude !== undefined) {
    return locationContent(params) ?? unsupported(typeOf(params, "location"), params);
  }
  if (params.ButtonText) {
    return {
      type: "interactive",
      text: params.ButtonText,
      content: { replyId: params.ButtonPayload || params.ButtonText, title: params.ButtonText },
    };
  }
  if (text !== undefined) return { type: "text", text };
  // No body and nothing else we read: a WhatsApp message of a type we do not map (Twilio says
  // MessageType "unsupported", "interactive", ...), or an SMS without text.
  return params.MessageType && params.MessageType !== "text" ? unsupported(params.MessageType, params) : null;
}

function inboundEvents(params: TwilioInbound): InboundEvent[] {
  const from = phoneSender(params.From, params.ProfileName || undefined);
  if (!from) return [{ kind: "ignored", reason: "sender is not a phone number" }];
  const content = contentOf(params);
  if (!content) return [{ kind: "ignored", reason: "empty message" }];
  const sid = params.MessageSid;
  const timestamp = new Date(); // Twilio's webhook carries no time of its own.
  return (Array.isArray(content) ? content : [content]).map((c, i) => {
    const id = i === 0 ? sid : `${sid}:${i}`;
    return { kind: "message", idempotencyKey: id, providerMessageId: id, from, timestamp, ...c };
  });
}

function statusEvents(params: TwilioStatus): InboundEvent[] {
  const raw = params.MessageStatus.toLowerCase();
  const status = statuses[raw];
  if (!status) return [{ kind: "ignored", reason: `status ${raw}` }];
  const error =
    status === "failed"
      ? {
          ...(params.ErrorCode ? { code: params.ErrorCode } : {}),
          message: params.ErrorMessage || (params.ErrorCode ? `Twilio error ${params.ErrorCode}` : raw),
        }
      : undefined;
  return [
    {
      kind: "status",
      // Per Twilio status, not per mapped one: failed and undelivered are distinct callbacks.
      idempotencyKey: `${params.MessageSid}:${raw}`,
      providerMessageId: params.MessageSid,
      status,
      timestamp: new Date(),
      ...(error ? { error } : {}),
    },
  ];
}

function requestBody(message: OutboundMessage): Record<string, string> {
  switch (message.kind) {
    case "text":
      return { Body: message.text };
    case "media":
      return { MediaUrl: message.mediaUrl, ...(message.caption ? { Body: message.caption } : {}) };
    case "template": {
      if (!CONTENT_SID.test(message.name)) {
        throw new ProviderError(
          `Twilio sends templates by Content SID (HX followed by 32 hex digits); "${message.name}" is not one`,
          { retryable: false, code: "invalid_content_sid" },
        );
      }
      const variables = Object.fromEntries((message.variables ?? []).map((value, i) => [String(i + 1), value]));
      return {
        ContentSid: message.name,
        ...(message.variables?.length ? { ContentVariables: JSON.stringify(variables) } : {}),
      };
    }
  }
}

export const twilioAdapter: ChannelAdapter<TwilioConfig> = {
  type: "twilio_sms",
  provider: "twilio",
  baseUrlEnv: "TWILIO_API_URL",
  defaultBaseUrl: "https://api.twilio.com",
  configSchema: config,
  sendFields: ["accountSid", "phoneNumber"],
  serviceWindow: (cfg) => isWhatsApp(cfg.phoneNumber),

  webhookRoutes: [
    { method: "POST", route: "sms" },
    { method: "POST", route: "sms-status" },
  ],
  webhookUrls: (publicUrl, channelId) => ({
    sms: `${publicUrl}/webhooks/twilio/${channelId}/sms`,
    status: `${publicUrl}/webhooks/twilio/${channelId}/sms-status`,
  }),

  async verify(request, cfg) {
    const signature = request.headers.get("x-twilio-signature");
    if (!signature) return false;
    try {
      // HMAC-SHA1 over the URL Twilio called plus the sorted form parameters, compared in
      // constant time by Twilio's own validator (which also tries the URL with/without port).
      return validateRequest(cfg.authToken, signature, request.url, signedParams(request.rawBody));
    } catch {
      return false;
    }
  },

  parse(request) {
    switch (request.route) {
      case "sms":
        return inboundEvents(parseForm(request.rawBody, twilioInbound));
      case "sms-status":
        return statusEvents(parseForm(request.rawBody, twilioStatus));
      default:
        return [{ kind: "ignored", reason: `route ${request.route ?? "(none)"}` }];
    }
  },

  async send(ctx, cfg, to, message) {
    if (!cfg.accountSid || !cfg.phoneNumber) {
      throw new ProviderError("the channel has no accountSid or phoneNumber to send with", {
        retryable: false,
        code: "not_configured",
      });
    }
    if (!to.phone) {
      throw new ProviderError("Twilio needs a phone number to send to", { retryable: false, code: "no_phone" });
    }
    const form = new URLSearchParams({
      To: isWhatsApp(cfg.phoneNumber) ? `${WHATSAPP}${to.phone}` : to.phone,
      From: cfg.phoneNumber,
      ...requestBody(message),
      StatusCallback: `${ctx.publicUrl}/webhooks/twilio/${ctx.channelId}/sms-status`,
    });
    const response = await providerFetch(
      ctx.fetch,
      `${ctx.baseUrl}/2010-04-01/Accounts/${encodeURIComponent(cfg.accountSid)}/Messages.json`,
      {
        method: "POST",
        headers: {
          authorization: `Basic ${btoa(`${cfg.accountSid}:${cfg.authToken}`)}`,
          "content-type": "application/x-www-form-urlencoded",
          accept: "application/json",
        },
        body: form.toString(),
      },
      { describe: describeWith(twilioErrorAnswer) },
    );
    return { providerMessageId: await acceptedMessageId("Twilio", response, twilioSendAnswer) };
  },

  // MediaUrl needs HTTP basic auth (account SID and auth token) when the account protects media;
  // the credentials go only to Twilio's API (TWILIO_API_URL), never to a host a payload names.
  async downloadMedia(ctx, cfg, media, limits) {
    const url = mediaUrl(media.url, "Twilio");
    const api = `${ctx.baseUrl.replace(/\/+$/, "")}/`;
    const headers: Record<string, string> =
      cfg.accountSid && url.startsWith(api)
        ? { authorization: `Basic ${btoa(`${cfg.accountSid}:${cfg.authToken}`)}` }
        : {};
    return fetchMedia(ctx.fetch, url, headers, limits, media, describeWith(twilioErrorAnswer));
  },
};
