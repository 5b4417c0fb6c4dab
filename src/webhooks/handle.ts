import type { Context } from "hono";
import { v7 as uuidv7 } from "uuid";
import * as z from "zod";
import { openWebhookSecret } from "@/channels/secrets";
import type { ChannelAdapter, WebhookRequest } from "@/channels/types";
import type { Delivery } from "@/inbox/types";
import type { AppEnv } from "@/platform/app";
import { problemResponse } from "@/platform/errors";
import { enforceRateLimit } from "@/platform/request";
import { ingestChannel, loadWebhookChannel, processBody, recordIgnored } from "./process";

const MAX_BODY_BYTES = 1024 * 1024;
const channelId = z.uuid();

type Ctx = Context<AppEnv>;

/** The channel a webhook names, with its credentials opened, or a problem response. */
async function loadChannel<C extends Record<string, string>>(c: Ctx, adapter: ChannelAdapter<C>) {
  const services = c.var.services;
  const { requestId } = services;
  const id = c.req.param("channelId");
  const loaded =
    id && channelId.safeParse(id).success
      ? await loadWebhookChannel(services, adapter.type, id, adapter.configSchema, async (row) => ({
          secret: await openWebhookSecret(services.env, row),
        }))
      : undefined;
  if (!loaded) return { error: problemResponse("NOT_FOUND", "No such channel.", { requestId }) };
  if (!loaded.ok) {
    return { error: problemResponse("MISCONFIGURED", "The channel's stored configuration is invalid.", { requestId }) };
  }
  return { row: loaded.row, notify: loaded.notify, config: loaded.config, secret: loaded.secret };
}

/**
 * POST /webhooks/<provider>/<channelId>[/<route>]: size limit, channel, rate limit, signature,
 * then the body is processed (processBody). Refusals (404, 401, 413, 429, a malformed body's 400)
 * store nothing; every verified body the provider's format leaves a webhook_events row.
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
  // Bytes, not .text(): workerd warns on every form-encoded body read as text (Twilio), and the
  // exact bytes are what webhook_events keeps.
  const body = new Uint8Array(await c.req.arrayBuffer());
  if (body.byteLength > MAX_BODY_BYTES) {
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
    rawBody: new TextDecoder().decode(body),
    route,
  };
  if (!(await adapter.verify(request, config, secret))) {
    logger.warn("webhook signature rejected");
    return problemResponse("UNAUTHORIZED", "The webhook signature or secret is invalid.", { requestId });
  }
  const delivery: Delivery = {
    id: uuidv7(),
    route: route ?? null,
    contentType: c.req.header("content-type") ?? null,
    body,
  };
  if (!row.active) {
    // 200 so the provider stops retrying; the body is kept and can be replayed once the channel is back.
    await recordIgnored(services, ingestChannel(adapter.provider, row, notify), delivery, "channel inactive");
    logger.warn("webhook for an inactive channel kept, not ingested", { webhookEventId: delivery.id });
    return c.json({ status: "ignored", reason: "channel inactive" }, 200);
  }
  const processed = await processBody(services, adapter, { row, config, notify }, request, delivery);
  if (processed.kind === "malformed") {
    logger.warn("malformed webhook body", { reason: processed.message });
    return problemResponse("BAD_REQUEST", `Malformed ${adapter.provider} webhook: ${processed.message}`, {
      requestId,
    });
  }
  logger.info("webhook ingested", { webhookEventId: delivery.id, ...processed.result });
  return c.json({ status: "ok", ...processed.result }, 200);
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
