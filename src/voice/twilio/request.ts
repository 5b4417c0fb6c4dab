// Only the webhook helpers of the twilio package: its root pulls in the whole REST client.

import type { Context } from "hono";
import { validateRequest } from "twilio/lib/webhooks/webhooks";
import type { ZodType } from "zod";
import * as z from "zod";
import { parseForm } from "@/channels/parse";
import type { ChannelRow } from "@/channels/secrets";
import { signedParams } from "@/channels/twilio/payload";
import { MalformedPayloadError } from "@/channels/types";
import type { AppEnv } from "@/platform/app";
import { problemResponse } from "@/platform/errors";
import type { Logger } from "@/platform/logger";
import { enforceRateLimit } from "@/platform/request";
import type { Services } from "@/platform/services";
import { cleanDeep, cleanText } from "@/platform/text";
import { loadWebhookChannel } from "@/webhooks/process";
import { ForeignCallError } from "../calls";
import { type TwilioVoiceConfig, twilioVoiceConfig } from "./channel";

const MAX_BODY_BYTES = 64 * 1024;
const channelIdSchema = z.uuid();

export type VoiceChannel = { row: ChannelRow; notify: boolean; config: TwilioVoiceConfig };

/** A verified, parsed Twilio request for one of a twilio_voice channel's URLs. */
export type VoiceRequest<P> = {
  services: Services;
  channel: VoiceChannel;
  params: P;
  /** The query string Switchboard put on the URL it gave Twilio (signed with the rest). */
  query: URLSearchParams;
  log: Logger;
};

type Answer = { kind: "twiml" | "json"; body: string };

export const twiml = (xml: string): Answer => ({ kind: "twiml", body: xml });
export const json = (value: unknown): Answer => ({ kind: "json", body: JSON.stringify(value) });

/** What a route answers for a channel that exists but is switched off: hang up, or leave the reservation alone. */
const INACTIVE: Record<Answer["kind"], string> = {
  twiml: '<?xml version="1.0" encoding="UTF-8"?><Response><Reject reason="busy"/></Response>',
  json: "{}",
};

const contentTypes: Record<Answer["kind"], string> = {
  twiml: "text/xml; charset=utf-8",
  json: "application/json",
};

async function loadChannel(services: Services, id: string): Promise<VoiceChannel | null | undefined> {
  const loaded = await loadWebhookChannel(services, "twilio_voice", id, twilioVoiceConfig);
  if (!loaded) return undefined;
  return loaded.ok ? { row: loaded.row, notify: loaded.notify, config: loaded.config } : null;
}

/**
 * A handler for POST /webhooks/twilio/<channelId>/<route> of a twilio_voice channel: size limit,
 * channel (cached), rate limit, Twilio's signature over PUBLIC_URL + path + query, then the body
 * read through `schema`. Refusals (404, 401, 413, 429, a malformed body's 400) store nothing.
 */
export function voiceRoute<P>(
  kind: Answer["kind"],
  schema: ZodType<P>,
  handle: (request: VoiceRequest<P>) => Promise<Answer>,
) {
  return async (c: Context<AppEnv>) => {
    const services = c.var.services;
    const { env, requestId } = services;
    if (Number(c.req.header("content-length") ?? 0) > MAX_BODY_BYTES) {
      return problemResponse("PAYLOAD_TOO_LARGE", "Twilio voice requests are limited to 64 KiB.", { requestId });
    }
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if (bytes.byteLength > MAX_BODY_BYTES) {
      return problemResponse("PAYLOAD_TOO_LARGE", "Twilio voice requests are limited to 64 KiB.", { requestId });
    }
    const id = c.req.param("channelId") ?? "";
    const channel = channelIdSchema.safeParse(id).success ? await loadChannel(services, id) : undefined;
    if (channel === undefined) return problemResponse("NOT_FOUND", "No such channel.", { requestId });
    if (channel === null) {
      return problemResponse("MISCONFIGURED", "The channel's stored configuration is invalid.", { requestId });
    }
    const log = services.log.child({ provider: "twilio", channelId: id, organizationId: channel.row.organizationId });
    await enforceRateLimit(c, "webhook", id, { limit: env.WEBHOOK_RATE_LIMIT_PER_MINUTE, windowSeconds: 60 });

    const url = new URL(c.req.url);
    const rawBody = new TextDecoder().decode(bytes);
    const signature = c.req.header("x-twilio-signature");
    let valid = false;
    try {
      // HMAC-SHA1 over the URL Twilio called and the sorted form parameters, compared in constant
      // time by Twilio's own validator.
      valid =
        Boolean(signature) &&
        validateRequest(
          channel.config.authToken,
          signature ?? "",
          `${env.PUBLIC_URL}${url.pathname}${url.search}`,
          signedParams(rawBody),
        );
    } catch {
      valid = false;
    }
    if (!valid) {
      log.warn("twilio voice signature rejected", { route: url.pathname.split("/").pop() });
      return problemResponse("UNAUTHORIZED", "The webhook signature is invalid.", { requestId });
    }
    if (!channel.row.active) {
      log.warn("twilio voice request for an inactive channel", { route: url.pathname.split("/").pop() });
      return c.body(INACTIVE[kind], 200, { "content-type": contentTypes[kind] });
    }
    let params: P;
    try {
      // What reaches SQL is cleaned (NUL, lone surrogates); the signature was checked on the raw body.
      params = cleanDeep(parseForm(rawBody, schema));
    } catch (error) {
      if (!(error instanceof MalformedPayloadError)) throw error;
      log.warn("malformed twilio voice request", { reason: error.message });
      return problemResponse("BAD_REQUEST", `Malformed twilio webhook: ${cleanText(error.message)}`, { requestId });
    }
    let answer: Answer;
    try {
      answer = await handle({ services, channel, params, query: url.searchParams, log });
    } catch (error) {
      if (!(error instanceof ForeignCallError)) throw error;
      // A signed request naming another tenant's call: refused, nothing written.
      log.warn("twilio voice request names another organization's call");
      return problemResponse("CONFLICT", "The call id belongs to a call this channel cannot update.", { requestId });
    }
    return c.body(answer.body, 200, { "content-type": contentTypes[answer.kind] });
  };
}
