import { openCredentials } from "@/channels/secrets";
import type { channels } from "@/db/schema";
import type { Env } from "@/platform/env";
import { type RetellConfig, retellConfig } from "../retell/channel";
import { type TwilioVoiceConfig, twilioVoiceConfig } from "../twilio/channel";

/** Voice channel types that place calls, and the provider name their calls are stored under. */
export const dialProviders = { twilio_voice: "twilio", retell: "retell" } as const;
export type DialableType = keyof typeof dialProviders;

export function isDialable(type: string): type is DialableType {
  return Object.hasOwn(dialProviders, type);
}

/** Twilio's API; TWILIO_API_URL points it at a proxy or a test fake. */
export const TWILIO_DEFAULT_API_URL = "https://api.twilio.com";

export type DialChannel =
  | { type: "twilio_voice"; config: TwilioVoiceConfig }
  | { type: "retell"; config: RetellConfig }
  | { type: null; code: "credentials_unreadable" | "credentials_invalid" | "not_dialable"; message: string };

/** A channel's credentials opened and read for dialing, or why they cannot be. */
export async function dialChannel(env: Env, channel: typeof channels.$inferSelect): Promise<DialChannel> {
  if (!isDialable(channel.type)) {
    return { type: null, code: "not_dialable", message: `a ${channel.type} channel does not place calls` };
  }
  let stored: Record<string, unknown>;
  try {
    stored = await openCredentials(env, channel);
  } catch {
    return {
      type: null,
      code: "credentials_unreadable",
      message: "the channel's stored credentials do not decrypt (ENCRYPTION_KEY changed?): enter them again",
    };
  }
  if (channel.type === "twilio_voice") {
    const parsed = twilioVoiceConfig.safeParse(stored);
    if (parsed.success) return { type: "twilio_voice", config: parsed.data };
  } else {
    const parsed = retellConfig.safeParse(stored);
    if (parsed.success) return { type: "retell", config: parsed.data };
  }
  return { type: null, code: "credentials_invalid", message: "the channel's stored configuration is invalid" };
}
