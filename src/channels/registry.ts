import { metaAdapter } from "./meta/adapter";
import type { ChannelAdapter, ChannelType } from "./types";

// biome-ignore lint/suspicious/noExplicitAny: adapters differ in their config type; callers validate config with the adapter's own schema
type AnyAdapter = ChannelAdapter<any>;

export const adapters: Partial<Record<ChannelType, AnyAdapter>> = {
  whatsapp_meta: metaAdapter,
};

export function adapterFor(type: string): AnyAdapter | undefined {
  return adapters[type as ChannelType];
}
