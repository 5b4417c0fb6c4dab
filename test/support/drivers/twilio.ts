// Twilio: form-encoded bodies signed over the URL and the sorted parameters (X-Twilio-Signature),
// to two routes: inbound messages (sms) and delivery callbacks (status).
import { unique } from "../fixtures";
import {
  accountSid,
  messageSid,
  PUBLIC_URL,
  twilioInboundParams,
  twilioSignature,
  twilioStatusParams,
  twilioWhatsAppParams,
} from "../twilio";
import type { ProviderDriver, Signed } from "./driver";

const signature = async (authToken: string, url: string, body: string) => ({
  "x-twilio-signature": await twilioSignature(authToken, url, Object.fromEntries(new URLSearchParams(body))),
});
const account = (config: Record<string, string>) => config.accountSid ?? "";

export const twilioDriver: ProviderDriver = {
  encoding: "form",
  config: () => ({ accountSid: accountSid(), authToken: unique("tok"), phoneNumber: "+14155550100" }),
  sign: async (channel, path, body) => ({
    path,
    headers: await signature(channel.config.authToken ?? "", `${PUBLIC_URL}${path}`, body),
  }),
  forge: async (channel, path, body, other): Promise<Signed[]> => {
    const token = channel.config.authToken ?? "";
    const params = Object.fromEntries(new URLSearchParams(body));
    const otherRoute = path.endsWith("/sms") ? `${path}-status` : path.replace(/-status$/, "");
    return [
      { path, headers: {} },
      ...["", "deadbeef", "0/KCTR6DLpKmkAf8muzZqo1nDgQ="].map((s) => ({ path, headers: { "x-twilio-signature": s } })),
      // Another account's token; the URL of the other route, of another channel, over https.
      { path, headers: await signature(other.config.authToken ?? "", `${PUBLIC_URL}${path}`, body) },
      { path, headers: await signature(token, `${PUBLIC_URL}${otherRoute}`, body) },
      { path, headers: await signature(token, `${PUBLIC_URL}${path.replace(channel.id, other.id)}`, body) },
      { path, headers: await signature(token, `https://localhost:8787${path}`, body) },
      // A valid signature over other parameters.
      {
        path,
        headers: {
          "x-twilio-signature": await twilioSignature(token, `${PUBLIC_URL}${path}`, { ...params, Body: "original" }),
        },
      },
    ];
  },
  text: (channel, text) => ({ route: "sms", body: twilioInboundParams(account(channel.config), { Body: text }) }),
  delivered: (channel, sid) => ({
    route: "status",
    body: twilioStatusParams(account(channel.config), sid, "delivered"),
  }),
  malformed: (channel) => {
    const { MessageSid: _sid, ...noSid } = twilioInboundParams(account(channel.config));
    const { MessageSid: _s, ...statusNoSid } = twilioStatusParams(account(channel.config), messageSid(), "delivered");
    return [
      { route: "sms", body: noSid },
      { route: "sms", body: JSON.stringify({ MessageSid: messageSid(), From: "+5511987654321", Body: "json" }) },
      { route: "status", body: statusNoSid },
    ];
  },
  samples: (channel) => {
    const sid = account(channel.config);
    return [
      { route: "sms", body: twilioInboundParams(sid, { Body: "Olá" }) },
      {
        route: "sms",
        body: twilioInboundParams(sid, {
          NumMedia: "1",
          MediaUrl0: `https://api.twilio.com/2010-04-01/Accounts/${sid}/Messages/MM1/Media/ME1`,
          MediaContentType0: "image/jpeg",
        }),
      },
      {
        route: "sms",
        body: twilioWhatsAppParams(sid, { MessageType: "location", Body: "", Latitude: "-23.5", Longitude: "-46.6" }),
      },
      {
        route: "sms",
        body: twilioWhatsAppParams(sid, { MessageType: "button", ButtonText: "Sim", ButtonPayload: "y" }),
      },
      { route: "status", body: twilioStatusParams(sid, messageSid(), "delivered") },
      { route: "status", body: twilioStatusParams(sid, messageSid(), "undelivered", { ErrorCode: "30003" }) },
    ];
  },
};
