// Z-API: JSON bodies, authenticated by the secret that ends the webhook URL (Z-API signs nothing).
import { unique } from "../fixtures";
import { zapiMessageId, zapiReceivedPayload, zapiStatusPayload } from "../zapi";
import type { ProviderDriver, Signed } from "./driver";

/** The path with its last segment (the secret) replaced. */
const withSecret = (path: string, secret: string) => `${path.slice(0, path.lastIndexOf("/") + 1)}${secret}`;
const secretOf = (path: string) => path.slice(path.lastIndexOf("/") + 1);

export const zapiDriver: ProviderDriver = {
  encoding: "json",
  config: () => ({ instanceId: unique("3C67AB"), instanceToken: unique("tok"), clientToken: unique("ct") }),
  sign: async (_channel, path) => ({ path, headers: {} }),
  forge: async (_channel, path, _body, other): Promise<Signed[]> => {
    const secret = secretOf(path);
    const otherSecret = secretOf(new URL(other.webhookUrls.webhook ?? "").pathname);
    return ["nope", `${secret}x`, secret.slice(0, -1), otherSecret].map((wrong) => ({
      path: withSecret(path, wrong),
      headers: {},
    }));
  },
  text: (_channel, text) => ({ route: "webhook", body: zapiReceivedPayload({ text: { message: text } }) }),
  delivered: (_channel, id) => ({ route: "webhook", body: zapiStatusPayload([id], "RECEIVED") }),
  malformed: () => {
    const { messageId: _id, ...noId } = zapiReceivedPayload();
    const { phone: _phone, ...noPhone } = zapiReceivedPayload();
    return [
      "{not json",
      { phone: "5511987654321", text: { message: "sem type" } },
      noId,
      noPhone,
      { type: "MessageStatusCallback", status: "READ" },
    ].map((body) => ({ route: "webhook", body }));
  },
  samples: () =>
    [
      zapiReceivedPayload({ text: { message: "Olá" } }),
      zapiReceivedPayload({
        image: { mimeType: "image/jpeg", imageUrl: "https://files.z-api.io/i.jpg", caption: "x" },
      }),
      zapiReceivedPayload({ audio: { ptt: true, audioUrl: "https://files.z-api.io/a.ogg", mimeType: "audio/ogg" } }),
      zapiReceivedPayload({ buttonsResponseMessage: { buttonId: "yes", message: "Sim" } }),
      zapiReceivedPayload({ location: { longitude: -46.63, latitude: -23.55, name: "Paulista" } }),
      zapiStatusPayload([zapiMessageId()], "READ"),
    ].map((body) => ({ route: "webhook", body })),
};
