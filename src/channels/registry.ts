import { type BuilderbotConfig, builderbotAdapter } from "./builderbot/adapter";
import { type MetaConfig, metaAdapter } from "./meta/adapter";
import { type TelegramConfig, telegramAdapter } from "./telegram/adapter";
import { type TwilioConfig, twilioAdapter } from "./twilio/adapter";
import {
  type ChannelAdapter,
  type ChannelType,
  channelTypes,
  type DownloadedMedia,
  type DownloadLimits,
  type Media,
  type OutboundMessage,
  type ProviderContext,
  type Recipient,
  type SendResult,
  type WebhookRoute,
} from "./types";
import { type ZapiConfig, zapiAdapter } from "./zapi/adapter";

/** Each channel type's credentials, as its adapter's configSchema parses them. */
type Configs = {
  whatsapp_meta: MetaConfig;
  whatsapp_zapi: ZapiConfig;
  whatsapp_builderbot: BuilderbotConfig;
  twilio_sms: TwilioConfig;
  telegram: TelegramConfig;
};
export type ConfigOf<T extends ChannelType> = Configs[T];

/** One adapter per channel type, each with its own config type. */
export type Adapters = { [T in ChannelType]: ChannelAdapter<ConfigOf<T>> };

/** Any one adapter; its config-specific calls need the config validated first (see bindChannel). */
export type AnyChannelAdapter = Adapters[ChannelType];

/** Every adapter, for the API (config validation, webhook URLs), the webhooks and the send job. */
export const adapters: Adapters = {
  whatsapp_meta: metaAdapter,
  whatsapp_zapi: zapiAdapter,
  whatsapp_builderbot: builderbotAdapter,
  twilio_sms: twilioAdapter,
  telegram: telegramAdapter,
};

export function isChannelType(type: string): type is ChannelType {
  return (channelTypes as readonly string[]).includes(type);
}

export function adapterFor<T extends ChannelType>(type: T): Adapters[T];
export function adapterFor(type: string): AnyChannelAdapter | undefined;
export function adapterFor(type: string): AnyChannelAdapter | undefined {
  return isChannelType(type) ? adapters[type] : undefined;
}

/** A route in Hono's syntax: /webhooks/<provider>/:channelId[/<route>]. */
export function webhookPath(adapter: AnyChannelAdapter, route: WebhookRoute): string {
  return `/webhooks/${adapter.provider}/:channelId${route.route ? `/${route.route}` : ""}`;
}

/** Every webhook route of every adapter: what a provider can call, for tests and drills to cover. */
export function webhookRoutes(): { type: ChannelType; adapter: AnyChannelAdapter; method: "POST"; path: string }[] {
  return channelTypes.flatMap((type) => {
    const adapter = adapters[type];
    return adapter.webhookRoutes.map((route) => ({
      type,
      adapter,
      method: route.method,
      path: webhookPath(adapter, route),
    }));
  });
}

/** A channel's adapter bound to its credentials once they passed the adapter's configSchema. */
export type BoundChannel = {
  readonly adapter: AnyChannelAdapter;
  serviceWindow(): boolean;
  /** The sendFields the credentials lack: without them sends are simulated. */
  missingSendFields(): string[];
  send(ctx: ProviderContext, to: Recipient, message: OutboundMessage): Promise<SendResult>;
  /** Absent when the adapter cannot fetch inbound media. */
  downloadMedia?(ctx: ProviderContext, media: Media, limits: DownloadLimits): Promise<DownloadedMedia>;
};

export type ChannelBinding =
  | { ok: true; channel: BoundChannel }
  | { ok: false; code: "unknown_channel_type" | "credentials_invalid"; message: string };

function bind<T extends ChannelType>(type: T, rawConfig: unknown): ChannelBinding {
  const adapter: ChannelAdapter<ConfigOf<T>> = adapters[type];
  const parsed = adapter.configSchema.safeParse(rawConfig);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join(".") || "config"))];
    return {
      ok: false,
      code: "credentials_invalid",
      message: `the channel's stored ${type} credentials are invalid (${fields.join(", ")}): edit the channel`,
    };
  }
  const config = parsed.data;
  const download = adapter.downloadMedia;
  return {
    ok: true,
    channel: {
      adapter: adapters[type],
      serviceWindow: () => adapter.serviceWindow(config),
      missingSendFields: () => adapter.sendFields.filter((field) => !config[field]),
      send: (ctx, to, message) => adapter.send(ctx, config, to, message),
      ...(download
        ? { downloadMedia: (ctx, media, limits) => download.call(adapter, ctx, config, media, limits) }
        : {}),
    },
  };
}

/**
 * Validates a channel's (decrypted) credentials with its adapter's schema and binds them to it,
 * so callers use the adapter without knowing its config type, and never with unchecked config.
 */
export function bindChannel(type: string, rawConfig: unknown): ChannelBinding {
  if (!isChannelType(type)) {
    return { ok: false, code: "unknown_channel_type", message: `no adapter for channel type ${type}` };
  }
  return bind(type, rawConfig);
}

/**
 * Whether WhatsApp's 24-hour window limits the channel's free-form sends. Credentials that do not
 * validate say no: the send job fails such a message with a clear code instead.
 */
export function serviceWindowApplies(type: string, rawConfig: unknown): boolean {
  const binding = bindChannel(type, rawConfig);
  return binding.ok && binding.channel.serviceWindow();
}
