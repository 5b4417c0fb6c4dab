import { and, asc, eq, inArray } from "drizzle-orm";
import { type BoundChannel, bindChannel } from "@/channels/registry";
import { type ChannelRow, openCredentials } from "@/channels/secrets";
import type { ChannelType } from "@/channels/types";
import { channels, type OtpChannel } from "@/db/schema";
import type { Executor } from "@/platform/db";
import type { Env } from "@/platform/env";
import { ApiError } from "@/platform/errors";

/** Channel types that can carry a code; Twilio carries SMS or WhatsApp depending on its sender. */
const carriers: ChannelType[] = ["twilio_sms", "whatsapp_meta", "whatsapp_zapi", "whatsapp_builderbot"];

/** The channel's credentials bound to its adapter, or null when they do not decrypt or validate. */
export async function bindForOtp(env: Env, channel: ChannelRow): Promise<BoundChannel | null> {
  const config = await openCredentials(env, channel).catch(() => null);
  if (!config) return null;
  const binding = bindChannel(channel.type, config);
  return binding.ok ? binding.channel : null;
}

/** What a bound channel carries: a Twilio sender "whatsapp:+..." is WhatsApp, any other Twilio sender SMS. */
export function kindOf(channel: ChannelRow, bound: BoundChannel): OtpChannel {
  return channel.type === "twilio_sms" && !bound.serviceWindow() ? "sms" : "whatsapp";
}

/** Where WhatsApp's 24-hour window applies (Cloud API, Twilio WhatsApp) codes go as a template. */
export const needsTemplate = (bound: BoundChannel) => bound.serviceWindow();

export type OtpRoute = { channel: ChannelRow; bound: BoundChannel };

/**
 * The channel a code goes through: `channelId` (404 when it is not the organization's, 422 when
 * it cannot carry this kind), else the organization's default for the kind: its OLDEST active
 * channel that carries it (ids are UUIDv7, so the smallest id is the oldest channel).
 */
export async function pickOtpChannel(
  db: Executor,
  env: Env,
  organizationId: string,
  kind: OtpChannel,
  channelId?: string,
): Promise<OtpRoute> {
  if (channelId) {
    const [channel] = await db
      .select()
      .from(channels)
      .where(and(eq(channels.organizationId, organizationId), eq(channels.id, channelId)));
    if (!channel) throw new ApiError("NOT_FOUND", "No such channel.");
    if (!channel.active) throw new ApiError("UNPROCESSABLE", "That channel is inactive.");
    const bound = carriers.includes(channel.type as ChannelType) ? await bindForOtp(env, channel) : null;
    if (!bound) throw new ApiError("UNPROCESSABLE", `That channel cannot send ${kind} codes.`);
    if (kindOf(channel, bound) !== kind) throw new ApiError("UNPROCESSABLE", `That channel does not send ${kind}.`);
    return { channel, bound };
  }
  const candidates = await db
    .select()
    .from(channels)
    .where(
      and(eq(channels.organizationId, organizationId), eq(channels.active, true), inArray(channels.type, carriers)),
    )
    .orderBy(asc(channels.id));
  for (const channel of candidates) {
    const bound = await bindForOtp(env, channel);
    if (bound && kindOf(channel, bound) === kind) return { channel, bound };
  }
  throw new ApiError("UNPROCESSABLE", `The organization has no active ${kind} channel to send codes through.`);
}
