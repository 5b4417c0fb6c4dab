// Helpers for tests that talk to the provider fakes and sign webhooks like the providers do.
import { expect, inject } from "vitest";
import { unique } from "./fixtures";
import { type CallOptions, call } from "./http";

export type RecordedRequest = {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  at: number;
};
export type QStashMessage = {
  messageId: string;
  url: string;
  body: string;
  headers: Record<string, string>;
  signature: string;
  deduplicationId?: string;
};

const fakes = () => inject("fakesUrl");

export async function fakeRequests(prefix: string): Promise<RecordedRequest[]> {
  const res = await fetch(`${fakes()}/__requests?prefix=${encodeURIComponent(prefix)}`);
  return res.json();
}

/** Points the organization's events webhook at a new path of the fakes: that path and the signing secret. */
export async function eventsWebhookOnFake(token: string, label: string): Promise<{ path: string; secret: string }> {
  const path = `/events/${unique(label)}`;
  const set = await call("/api/organization/events-webhook", {
    method: "PUT",
    token,
    json: { url: `${fakes()}${path}` },
  });
  expect(set.status, set.text).toBe(200);
  return { path, secret: set.body.secret as string };
}

/** The next answers of the fake under `prefix`, in order; afterwards it answers normally again. */
export async function scriptFake(
  prefix: string,
  responses: { status: number; body?: unknown; headers?: Record<string, string>; delayMs?: number }[],
): Promise<void> {
  await fetch(`${fakes()}/__script`, { method: "POST", body: JSON.stringify({ prefix, responses }) });
}

export async function qstashMessages(urlPrefix: string, key: "current" | "next" = "current"): Promise<QStashMessage[]> {
  const res = await fetch(`${fakes()}/__qstash/messages?url=${encodeURIComponent(urlPrefix)}&key=${key}`);
  return res.json();
}

export async function hmacHex(secret: string, data: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(data));
  return Array.from(new Uint8Array(mac), (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function createChannel(
  token: string,
  body: {
    type: string;
    name?: string;
    config: Record<string, unknown>;
    queueId?: string;
    settings?: Record<string, unknown>;
  },
  options: Pick<CallOptions, "driver" | "env"> = {},
) {
  const res = await call("/api/channels", { ...options, token, json: { name: `${body.type} channel`, ...body } });
  if (res.status !== 201) throw new Error(`channel create failed: ${res.status} ${res.text}`);
  return res.body as { id: string; webhookUrls: Record<string, string>; type: string };
}
