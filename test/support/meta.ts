// WhatsApp Cloud API webhook payloads, shaped as Meta sends them, and their signature.
import { type CallOptions, call } from "./http";
import { hmacHex } from "./provider";

let seq = 0;
export const wamid = () =>
  `wamid.HBgN${Date.now().toString(36)}${(++seq).toString(36)}${Math.random().toString(36).slice(2, 8)}`;

export function metaMessagePayload(
  phoneNumberId: string,
  message: Record<string, unknown> & { type: string; from?: string; id?: string },
  profileName = "Maria Cliente",
) {
  const from = message.from ?? "5511987654321";
  return {
    object: "whatsapp_business_account",
    entry: [
      {
        id: "102290129340398",
        changes: [
          {
            field: "messages",
            value: {
              messaging_product: "whatsapp",
              metadata: { display_phone_number: "15550783881", phone_number_id: phoneNumberId },
              contacts: [{ profile: { name: profileName }, wa_id: from }],
              messages: [
                { from, id: message.id ?? wamid(), timestamp: String(Math.floor(Date.now() / 1000)), ...message },
              ],
            },
          },
        ],
      },
    ],
  };
}

export function metaStatusPayload(
  phoneNumberId: string,
  id: string,
  status: string,
  extra: Record<string, unknown> = {},
) {
  return {
    object: "whatsapp_business_account",
    entry: [
      {
        id: "102290129340398",
        changes: [
          {
            field: "messages",
            value: {
              messaging_product: "whatsapp",
              metadata: { display_phone_number: "15550783881", phone_number_id: phoneNumberId },
              statuses: [
                {
                  id,
                  status,
                  timestamp: String(Math.floor(Date.now() / 1000)),
                  recipient_id: "5511987654321",
                  ...extra,
                },
              ],
            },
          },
        ],
      },
    ],
  };
}

export async function postMeta(
  channelId: string,
  appSecret: string,
  payload: unknown,
  options: CallOptions & { signature?: string } = {},
) {
  const body = typeof payload === "string" ? payload : JSON.stringify(payload);
  const signature = options.signature ?? `sha256=${await hmacHex(appSecret, body)}`;
  return call(`/webhooks/meta/${channelId}`, {
    ...options,
    method: "POST",
    body,
    headers: { "content-type": "application/json", "x-hub-signature-256": signature, ...options.headers },
  });
}
