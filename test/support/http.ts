// Drives the real gateway entry points inside workerd, the way production invokes them.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import gateway from "../../functions/gateway";
import { type Driver, testEnv } from "./env";

export type TestResponse<T = unknown> = { status: number; headers: Headers; body: T; text: string };

export type CallOptions = {
  method?: string;
  json?: unknown;
  body?: BodyInit;
  token?: string;
  headers?: Record<string, string>;
  env?: Record<string, unknown>;
  driver?: Driver;
};

// biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON came back; assertions check its shape
export async function call<T = any>(path: string, options: CallOptions = {}): Promise<TestResponse<T>> {
  const headers = new Headers(options.headers);
  if (options.token) headers.set("authorization", `Bearer ${options.token}`);
  let body = options.body;
  if (options.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(options.json);
  }
  const request = new Request(new URL(path, "http://localhost:8787"), {
    method: options.method ?? (body === undefined ? "GET" : "POST"),
    headers,
    body,
  });
  const ctx = createExecutionContext();
  const response = await gateway.fetch(
    request as Parameters<typeof gateway.fetch>[0],
    testEnv(options.env, options.driver),
    ctx,
  );
  const text = await response.text();
  await waitOnExecutionContext(ctx);
  let parsed: unknown = text;
  if ((response.headers.get("content-type") ?? "").includes("json") && text) parsed = JSON.parse(text);
  return { status: response.status, headers: response.headers, body: parsed as T, text };
}

export async function runScheduled(options: { env?: Record<string, unknown>; driver?: Driver; at?: Date } = {}) {
  const controller = createScheduledController({ scheduledTime: options.at ?? new Date(), cron: "* * * * *" });
  const ctx = createExecutionContext();
  await gateway.scheduled(controller, testEnv(options.env, options.driver), ctx);
  await waitOnExecutionContext(ctx);
}

/** The one ticket of a channel (asserting there is exactly one), its contact's phone revealed (lists mask it). */
export async function onlyTicket(token: string, channelId: string) {
  const list = await call(`/api/tickets?channelId=${channelId}&reveal=true`, { token });
  if (list.body.data.length !== 1) throw new Error(`expected one ticket on ${channelId}: ${list.text}`);
  return list.body.data[0];
}
