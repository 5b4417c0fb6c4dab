// Z-API webhook callbacks, shaped as Z-API sends them (developer.z-api.io, on-message-received
// examples and message status), and the secret-bearing webhook URL they are posted to.
import { type CallOptions, call } from "./http";

let seq = 0;
/** A WhatsApp Web style message id (Z-API passes WhatsApp's own ids through). */
export const zapiMessageId = () =>
  `3EB0${Date.now().toString(16).toUpperCase()}${(++seq).toString(16).toUpperCase()}${Math.random().toString(16).slice(2, 8).toUpperCase()}`;

export const ZAPI_PHONE = "5511987654321";

/** A ReceivedCallback; `content` (text, image, audio, ...) replaces the default text and may override any field. */
export function zapiReceivedPayload(content: Record<string, unknown> = { text: { message: "Olá" } }) {
  return {
    isStatusReply: false,
    senderLid: "81896604192873@lid",
    connectedPhone: "554499999999",
    waitingMessage: false,
    isEdit: false,
    isGroup: false,
    isNewsletter: false,
    instanceId: "A20DA9C0183A2D35A260F53F5D2B9244",
    messageId: zapiMessageId(),
    phone: ZAPI_PHONE,
    fromMe: false,
    momment: Date.now(),
    status: "RECEIVED",
    chatName: "Maria Cliente",
    senderPhoto: null,
    senderName: "Maria Cliente",
    participantPhone: null,
    participantLid: null,
    photo: null,
    broadcast: false,
    forwarded: false,
    type: "ReceivedCallback",
    fromApi: false,
    ...content,
  };
}

export function zapiStatusPayload(ids: string[], status: string, extra: Record<string, unknown> = {}) {
  return {
    instanceId: "A20DA9C0183A2D35A260F53F5D2B9244",
    status,
    ids,
    momment: Date.now(),
    phoneDevice: 0,
    phone: ZAPI_PHONE,
    isGroup: false,
    type: "MessageStatusCallback",
    ...extra,
  };
}

/** The secret is the last path segment of the webhook URL the channel API returned. */
export function zapiSecretOf(webhookUrl: string): string {
  return webhookUrl.split("/").pop() ?? "";
}

export async function postZapi(channelId: string, secret: string, payload: unknown, options: CallOptions = {}) {
  const body = typeof payload === "string" ? payload : JSON.stringify(payload);
  return call(`/webhooks/zapi/${channelId}/${secret}`, {
    ...options,
    method: "POST",
    body,
    headers: { "content-type": "application/json", ...options.headers },
  });
}
