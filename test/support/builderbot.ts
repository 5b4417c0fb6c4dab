// BuilderBot Cloud project webhooks, shaped as BuilderBot sends them, and their token header.
import { type CallOptions, call } from "./http";

let seq = 0;
/** A unique body text, so two test messages never hash alike. */
export const uniqueText = (prefix = "msg") => `${prefix} ${Date.now().toString(36)}${(++seq).toString(36)}`;

export function builderbotIncoming(data: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return {
    eventName: "message.incoming",
    data: {
      body: uniqueText("Olá"),
      name: "Maria Cliente",
      from: "5511987654321",
      attachment: [],
      projectId: "0c6a1f5e-6f5b-4a53-9c8e-3d2b1a0f9e8d",
      ...data,
    },
    ...extra,
  };
}

export function builderbotOutgoing(data: Record<string, unknown> = {}) {
  return {
    eventName: "message.outgoing",
    data: { answer: "Resposta do bot", from: "5511987654321", ...data },
  };
}

export async function postBuilderbot(
  channelId: string,
  token: string | null,
  payload: unknown,
  options: CallOptions = {},
) {
  const body = typeof payload === "string" ? payload : JSON.stringify(payload);
  return call(`/webhooks/builderbot/${channelId}`, {
    ...options,
    method: "POST",
    body,
    headers: {
      "content-type": "application/json",
      ...(token === null ? {} : { "x-webhook-token": token }),
      ...options.headers,
    },
  });
}
