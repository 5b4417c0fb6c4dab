import { and, eq } from "drizzle-orm";
import type { Context } from "hono";
import * as z from "zod";
import { cachedChannel } from "@/channels/cache";
import { openCredentials, openWebhookSecret } from "@/channels/secrets";
import { readSettings } from "@/channels/settings";
import { type ChannelAdapter, MalformedPayloadError, type WebhookRequest } from "@/channels/types";
import { channels, organizations } from "@/db/schema";
import { ingest } from "@/inbox/ingest";
import { hasEventsWebhook } from "@/notify/settings";
import type { AppEnv } from "@/platform/app";
import { problemResponse } from "@/platform/errors";
import { enforceRateLimit } from "@/platform/request";

const MAX_BODY_BYTES = 1024 * 1024;
const channelId = z.uuid();

type Ctx = Context<AppEnv>;

/** The channel a webhook names, with its credentials opened, or a problem response. */
async function loadChannel<C extends Record<string, string>>(c: Ctx, adapter: ChannelAdapter<C>) {
  const { db, env, log, requestId } = c.var.services;
  const id = c.req.param("channelId");
  if (!id || !channelId.safeParse(id).success) {
    return { error: problemResponse("NOT_FOUND", "No such channel.", { requestId }) };
  }
  const loaded = await cachedChannel(`${adapter.type}:${id}`, async () => {
    const [found] = await db
      .select({ row: channels, orgSettings: organizations.settings })
      .from(channels)
      .innerJoin(organizations, eq(organizations.id, channels.organizationId))
      .where(and(eq(channels.id, id), eq(channels.type, adapter.type)));
    if (!found) return undefined;
    const { row } = found;
    const notify = hasEventsWebhook(found.orgSettings);
    const config = adapter.configSchema.safeParse(await openCredentials(env, row));
    if (!config.success) {
      log.error("stored channel credentials do not match the adapter's schema", { channelId: row.id });
      return { row, notify, config: null, secret: "" };
    }
    return { row, notify, config: config.data, secret: await openWebhookSecret(env, row) };
  });
  if (!loaded) return { error: problemResponse("NOT_FOUND", "No such channel.", { requestId }) };
  if (!loaded.config) {
    return { error: problemResponse("MISCONFIGURED", "The channel's stored configuration is invalid.", { requestId }) };
  }
  return { row: loaded.row, notify: loaded.notify, config: loaded.config, secret: loaded.secret };
}

/**
 * POST /webhooks/<provider>/<channelId>[/<route>]: size limit, channel, rate limit, signature,
 * inactive check, parse, then one ingest transaction. Every refusal stores nothing.
 */
export async function handleWebhook<C extends Record<string, string>>(
  c: Ctx,
  adapter: ChannelAdapter<C>,
  route?: string,
) {
  const services = c.var.services;
  const { env, log, requestId } = services;
  if (Number(c.req.header("content-length") ?? 0) > MAX_BODY_BYTES) {
    return problemResponse("PAYLOAD_TOO_LARGE", "Webhook bodies are limited to 1 MiB.", { requestId });
  }
  // Bytes, not .text(): workerd warns on every form-encoded body read as text (Twilio).
  const rawBody = new TextDecoder().decode(await c.req.arrayBuffer());
  if (rawBody.length > MAX_BODY_BYTES) {
    return problemResponse("PAYLOAD_TOO_LARGE", "Webhook bodies are limited to 1 MiB.", { requestId });
  }
  const loaded = await loadChannel(c, adapter);
  if ("error" in loaded) return loaded.error;
  const { row, config, secret, notify } = loaded;
  const logger = log.child({ provider: adapter.provider, channelId: row.id, organizationId: row.organizationId });

  await enforceRateLimit(c, "webhook", row.id, { limit: env.WEBHOOK_RATE_LIMIT_PER_MINUTE, windowSeconds: 60 });

  const url = new URL(c.req.url);
  const request: WebhookRequest = {
    channelId: row.id,
    method: c.req.method,
    url: `${env.PUBLIC_URL}${url.pathname}${url.search}`,
    headers: c.req.raw.headers,
    rawBody,
    route,
  };
  if (!(await adapter.verify(request, config, secret))) {
    logger.warn("webhook signature rejected");
    return problemResponse("UNAUTHORIZED", "The webhook signature or secret is invalid.", { requestId });
  }
  if (!row.active) {
    // 200 so the provider stops retrying; an inactive channel takes nothing in.
    logger.warn("webhook for an inactive channel ignored");
    return c.json({ status: "ignored", reason: "channel inactive" }, 200);
  }
  const settings = readSettings(row.settings);
  let events: ReturnType<typeof adapter.parse>;
  try {
    events = adapter.parse(request, config, settings);
  } catch (error) {
    if (error instanceof MalformedPayloadError) {
      logger.warn("malformed webhook body", { reason: error.message });
      return problemResponse("BAD_REQUEST", `Malformed ${adapter.provider} webhook: ${error.message}`, { requestId });
    }
    throw error;
  }
  let raw: unknown = rawBody;
  try {
    raw = JSON.parse(rawBody);
  } catch {
    raw = Object.fromEntries(new URLSearchParams(rawBody));
  }
  const result = await ingest(
    services,
    {
      id: row.id,
      organizationId: row.organizationId,
      provider: adapter.provider,
      queueId: row.queueId,
      reopenWindowHours: settings.reopenWindowHours,
      notify,
    },
    events,
    raw,
  );
  for (const event of events)
    if (event.kind === "ignored") logger.info("webhook event ignored", { reason: event.reason });
  logger.info("webhook ingested", { ...result });
  return c.json({ status: "ok", ...result }, 200);
}

/** GET handshake (Meta's hub.challenge). */
export async function handleChallenge<C extends Record<string, string>>(c: Ctx, adapter: ChannelAdapter<C>) {
  const loaded = await loadChannel(c, adapter);
  if ("error" in loaded) return loaded.error;
  const answer = adapter.challenge ? await adapter.challenge(c.req.url, loaded.config) : null;
  if (answer === null) {
    return problemResponse("FORBIDDEN", "The verify token does not match.", { requestId: c.var.requestId });
  }
  return c.text(answer, 200);
}
