import type { Context } from "hono";
import { v7 as uuidv7 } from "uuid";
import * as z from "zod";
import { MalformedPayloadError } from "@/channels/types";
import type { AppEnv } from "@/platform/app";
import { problemResponse } from "@/platform/errors";
import { enforceRateLimit } from "@/platform/request";
import { cleanDeep, cleanText } from "@/platform/text";
import { loadWebhookChannel } from "@/webhooks/process";
import { ForeignCallError } from "./calls";
import type { VoiceWebhook } from "./events";
import { ingestCallEvent, recordFailedVoiceEvent, recordIgnoredVoiceEvent, type VoiceDelivery } from "./ingest";

const MAX_BODY_BYTES = 1024 * 1024;
const PREFIX_BYTES = 256;
const channelId = z.uuid();

type Ctx = Context<AppEnv>;

/** The body, or its first bytes when it is over the limit (the rest is never read). */
async function readLimited(request: Request, max: number): Promise<{ body: Uint8Array } | { prefix: string }> {
  const prefixOf = (bytes: Uint8Array) => new TextDecoder().decode(bytes.subarray(0, PREFIX_BYTES));
  const reader = request.body?.getReader();
  if (!reader) return { body: new Uint8Array() };
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      return { prefix: prefixOf(concat(chunks, size)) };
    }
  }
  return { body: concat(chunks, size) };
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** The voice channel a webhook names, its credentials opened, cached like messaging channels. */
/**
 * POST /webhooks/<retell|elevenlabs>/<channelId>: size limit, channel, rate limit, signature against
 * the raw body, then the event. Refusals (404, 401, 413, 429, a malformed body's 400) store nothing;
 * every verified body leaves a webhook_events row (stored, duplicate, ignored or failed).
 */
export async function handleVoiceWebhook<C>(c: Ctx, hook: VoiceWebhook<C>) {
  const services = c.var.services;
  const { env, log, requestId } = services;
  const tooLarge = () => problemResponse("PAYLOAD_TOO_LARGE", "Webhook bodies are limited to 1 MiB.", { requestId });
  const declared = Number(c.req.header("content-length") ?? 0);
  if (declared > MAX_BODY_BYTES && !hook.oversized) return tooLarge();
  const read = await readLimited(c.req.raw, MAX_BODY_BYTES);
  if ("prefix" in read && !hook.oversized) return tooLarge();
  const id = c.req.param("channelId");
  const loaded =
    id && channelId.safeParse(id).success
      ? await loadWebhookChannel(services, hook.channelType, id, hook.configSchema)
      : undefined;
  if (!loaded) return problemResponse("NOT_FOUND", "No such channel.", { requestId });
  if (!loaded.ok) {
    return problemResponse("MISCONFIGURED", "The channel's stored configuration is invalid.", { requestId });
  }
  const { row, notify, config } = loaded;
  const logger = log.child({ provider: hook.provider, channelId: row.id, organizationId: row.organizationId });
  await enforceRateLimit(c, "webhook", row.id, { limit: env.WEBHOOK_RATE_LIMIT_PER_MINUTE, windowSeconds: 60 });

  if ("prefix" in read) {
    // Nothing of it is stored, so it is acknowledged without the signature the unread rest would need.
    const reason = hook.oversized?.(read.prefix);
    if (!reason) return tooLarge();
    logger.info("oversized webhook acknowledged unread", { reason });
    return c.json({ status: "ignored", reason }, 200);
  }
  const rawBody = new TextDecoder().decode(read.body);
  if (!(await hook.verify(c.req.raw.headers, rawBody, config, services.now()))) {
    logger.warn("webhook signature rejected");
    return problemResponse("UNAUTHORIZED", "The webhook signature or secret is invalid.", { requestId });
  }
  const channel = { id: row.id, organizationId: row.organizationId, notify };
  const delivery: VoiceDelivery = {
    id: uuidv7(),
    provider: hook.provider,
    contentType: c.req.header("content-type") ?? null,
    body: read.body,
  };
  if (!row.active) {
    await recordIgnoredVoiceEvent(services, channel, delivery, "channel inactive");
    return c.json({ status: "ignored", reason: "channel inactive" }, 200);
  }

  let event: ReturnType<typeof hook.parse>;
  try {
    event = cleanDeep(hook.parse(rawBody));
  } catch (error) {
    if (!(error instanceof MalformedPayloadError)) throw error;
    logger.warn("malformed webhook body", { reason: error.message });
    return problemResponse("BAD_REQUEST", `Malformed ${hook.provider} webhook: ${cleanText(error.message)}`, {
      requestId,
    });
  }
  if (event.kind === "ignored") {
    await recordIgnoredVoiceEvent(services, channel, delivery, event.reason);
    return c.json({ status: "ignored", reason: event.reason }, 200);
  }
  try {
    const raw = cleanDeep(JSON.parse(rawBody) as Record<string, unknown>);
    const { call, duplicate } = await ingestCallEvent(services, channel, event, raw, delivery);
    logger.info("voice webhook stored", { callId: call.id, event: event.eventKind, duplicate });
    return c.json({ status: duplicate ? "duplicate" : "stored", callId: call.id }, 200);
  } catch (error) {
    if (error instanceof ForeignCallError) {
      // A signed request naming another tenant's call: refused, nothing written.
      logger.warn("webhook names another organization's call", { providerCallId: event.providerCallId });
      return problemResponse("CONFLICT", "The call id belongs to a call this channel cannot update.", { requestId });
    }
    await recordFailedVoiceEvent(services, channel, delivery, error);
    throw error;
  }
}
