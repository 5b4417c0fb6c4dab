import { builderbotAdapter } from "./builderbot/adapter";
import { metaAdapter } from "./meta/adapter";
import { telegramAdapter } from "./telegram/adapter";
import { twilioAdapter } from "./twilio/adapter";
import type { ChannelAdapter, ChannelType } from "./types";
import { zapiAdapter } from "./zapi/adapter";

// biome-ignore lint/suspicious/noExplicitAny: adapters differ in their config type; callers validate config with the adapter's own schema
type AnyAdapter = ChannelAdapter<any>;

/** Every adapter, for the API (config validation, webhook URLs) and the send job. */
export const adapters: Record<ChannelType, AnyAdapter> = {
  whatsapp_meta: metaAdapter,
  whatsapp_zapi: zapiAdapter,
  whatsapp_builderbot: builderbotAdapter,
  twilio_sms: twilioAdapter,
  telegram: telegramAdapter,
};

export function adapterFor(type: string): AnyAdapter | undefined {
  return adapters[type as ChannelType];
}
