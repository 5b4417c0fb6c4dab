// WhatsApp Cloud API: JSON bodies signed with the app secret (X-Hub-Signature-256).
import { unique } from "../fixtures";
import { metaMessagePayload, metaStatusPayload } from "../meta";
import { hmacHex } from "../provider";
import type { ProviderDriver, Signed } from "./driver";

const sign = async (appSecret: string, body: string) => ({
  "x-hub-signature-256": `sha256=${await hmacHex(appSecret, body)}`,
});
const phoneNumberId = (config: Record<string, string>) => config.phoneNumberId ?? "";

export const metaDriver: ProviderDriver = {
  encoding: "json",
  config: () => ({
    phoneNumberId: unique("pn"),
    accessToken: "EAAG-test",
    appSecret: unique("secret"),
    verifyToken: unique("verify"),
  }),
  sign: async (channel, path, body) => ({ path, headers: await sign(channel.config.appSecret ?? "", body) }),
  forge: async (_channel, path, body, other): Promise<Signed[]> => [
    { path, headers: {} },
    { path, headers: { "x-hub-signature-256": "" } },
    { path, headers: { "x-hub-signature-256": "sha256=deadbeef" } },
    { path, headers: { "x-hub-signature-256": `sha256=${"0".repeat(64)}` } },
    { path, headers: await sign(other.config.appSecret ?? "", body) },
  ],
  text: (channel, text) => ({
    route: "webhook",
    body: metaMessagePayload(phoneNumberId(channel.config), { type: "text", text: { body: text } }),
  }),
  delivered: (channel, id) => ({
    route: "webhook",
    body: metaStatusPayload(phoneNumberId(channel.config), id, "delivered"),
  }),
  malformed: () => [
    { route: "webhook", body: "{not json" },
    { route: "webhook", body: { object: "whatsapp_business_account" } },
  ],
  samples: (channel) => {
    const id = phoneNumberId(channel.config);
    return [
      { route: "webhook", body: metaMessagePayload(id, { type: "text", text: { body: "Olá" } }) },
      {
        route: "webhook",
        body: metaMessagePayload(id, { type: "image", image: { id: "m1", mime_type: "image/jpeg", caption: "foto" } }),
      },
      {
        route: "webhook",
        body: metaMessagePayload(id, {
          type: "interactive",
          interactive: { type: "button_reply", button_reply: { id: "yes", title: "Sim" } },
        }),
      },
      {
        route: "webhook",
        body: metaMessagePayload(id, { type: "location", location: { latitude: -23.55, longitude: -46.63 } }),
      },
      { route: "webhook", body: metaStatusPayload(id, "wamid.HBgNunknown", "read") },
    ];
  },
};
