// BuilderBot Cloud: JSON project events carrying the configured webhook token in a header.
import { builderbotIncoming, builderbotOutgoing } from "../builderbot";
import { unique } from "../fixtures";
import type { ProviderDriver, Signed } from "./driver";

const HEADER = "x-webhook-token";
const tokenOf = (channel: { config: Record<string, string> }) => channel.config.webhookToken ?? "";

export const builderbotDriver: ProviderDriver = {
  encoding: "json",
  config: () => ({ apiKey: unique("bbkey"), botId: unique("bot"), webhookToken: unique("whtoken") }),
  sign: async (channel, path) => ({ path, headers: { [HEADER]: tokenOf(channel) } }),
  forge: async (channel, path, _body, other): Promise<Signed[]> => [
    { path, headers: {} },
    // With a webhookToken configured, the channel's generated secret is not accepted either.
    ...[
      "",
      "wrong",
      `${tokenOf(channel)}x`,
      tokenOf(channel).slice(0, -1),
      channel.webhookUrls.defaultWebhookToken ?? "",
    ]
      .concat(tokenOf(other))
      .map((token) => ({ path, headers: { [HEADER]: token } })),
  ],
  text: (_channel, text) => ({ route: "webhook", body: builderbotIncoming({ body: text }) }),
  malformed: () =>
    [
      "{not json",
      "[]",
      { data: { body: "sem evento", from: "5511987654321" } },
      { eventName: "message.incoming" },
      { eventName: "message.incoming", data: { body: "sem remetente", name: "X" } },
    ].map((body) => ({ route: "webhook", body })),
  samples: () =>
    [
      builderbotIncoming({ body: "Olá" }),
      builderbotIncoming({
        body: "_event_media__0a1b2c3d",
        attachment: [{ url: "https://bb-files.example.com/t/a.jpeg", mimetype: "image/jpeg" }],
        urlTempFile: "https://bb-files.example.com/t/a.jpeg",
      }),
      builderbotIncoming({ body: "com id", messageId: "3EB0C767D26A1D3F8A1B" }),
      builderbotOutgoing(),
    ].map((body) => ({ route: "webhook", body })),
};
