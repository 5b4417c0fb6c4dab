import { describe, expect, inject, it } from "vitest";
import * as z from "zod";
import { fakeRequests, scriptFake } from "../../test/support/provider";
import { botToken } from "../../test/support/telegram";
import { acceptedMessageId, ProviderError } from "./http";
import { bindChannel } from "./registry";
import type { ChannelType, OutboundMessage, Recipient } from "./types";

let n = 0;
const unique = () => `${Date.now().toString(36)}${++n}`;

/** How to send through each provider's fake: its base URL, credentials, a recipient, the fake's path prefix. */
type Driver = () => { path: string; config: Record<string, string>; to: Recipient; prefix: string };

// A Record over every channel type: a new adapter does not compile without its driver here.
const drivers: Record<ChannelType, Driver> = {
  whatsapp_meta: () => {
    const phoneNumberId = `acc${unique()}`;
    return {
      path: "/meta/v21.0",
      config: { phoneNumberId, accessToken: "t", appSecret: "s", verifyToken: "v" },
      to: { phone: "+5511987654321" },
      prefix: `/meta/v21.0/${phoneNumberId}/`,
    };
  },
  whatsapp_zapi: () => {
    const instanceId = `acc${unique()}`;
    return {
      path: "/zapi",
      config: { instanceId, instanceToken: "t", clientToken: "c" },
      to: { phone: "+5511987654321" },
      prefix: `/zapi/instances/${instanceId}/`,
    };
  },
  whatsapp_builderbot: () => {
    const botId = `acc${unique()}`;
    return {
      path: "/builderbot",
      config: { apiKey: "k", botId },
      to: { phone: "+5511987654321" },
      prefix: `/builderbot/api/v2/${botId}/`,
    };
  },
  twilio_sms: () => {
    const accountSid = `AC${unique()}`;
    return {
      path: "/twilio",
      config: { accountSid, authToken: "t", phoneNumber: "+14155550100" },
      to: { phone: "+5511987654321" },
      prefix: `/twilio/2010-04-01/Accounts/${accountSid}/`,
    };
  },
  telegram: () => {
    const token = botToken();
    return {
      path: "/telegram",
      config: { botToken: token },
      to: { identity: { kind: "telegram", externalId: "912345678" } },
      prefix: `/telegram/bot${token}/`,
    };
  },
};

const text: OutboundMessage = { kind: "text", text: "Olá" };

async function sendWithAnswer(type: ChannelType, answer: { status: number; body: unknown }) {
  const driver = drivers[type]();
  const binding = bindChannel(type, driver.config);
  if (!binding.ok) throw new Error(binding.message);
  await scriptFake(driver.prefix, [answer]);
  const outcome = await binding.channel
    .send(
      { baseUrl: `${inject("fakesUrl")}${driver.path}`, fetch, publicUrl: "http://localhost:8787", channelId: "c" },
      driver.to,
      text,
    )
    .then(
      (result) => ({ result, error: undefined }),
      (error: unknown) => ({ result: undefined, error }),
    );
  return { ...outcome, requests: await fakeRequests(driver.prefix) };
}

// Everything a provider may answer a taken send with, short of its message id.
const answersWithoutId = [
  { status: 200, body: { unexpected: true } },
  { status: 201, body: "OK" },
  { status: 202, body: { ok: false, messages: [], sid: "", result: {} } },
];

describe.each(Object.keys(drivers) as ChannelType[])("a %s send the provider took without an id", (type) => {
  it.each(answersWithoutId)("is never sent twice (HTTP $status, $body)", async (answer) => {
    const { result, error, requests } = await sendWithAnswer(type, answer);
    expect(requests, "exactly one call to the provider").toHaveLength(1);
    if (type === "whatsapp_builderbot") {
      // BuilderBot's answers may carry no id at all, and it reports no statuses: an id stands in.
      expect(result?.providerMessageId).toMatch(/^bb-out:/);
      return;
    }
    expect(error, JSON.stringify(result)).toBeInstanceOf(ProviderError);
    const options = (error as ProviderError).options;
    expect(options).toMatchObject({ status: answer.status, retryable: false, code: "accepted_without_id" });
  });
});

describe("acceptedMessageId", () => {
  const schema = z.looseObject({ id: z.string().min(1) }).transform((a) => a.id);

  it("returns the id the schema reads from the answer", async () => {
    expect(await acceptedMessageId("P", new Response('{"id":"m1"}'), schema)).toBe("m1");
  });

  it("fails a taken send whose answer breaks off as final, never as a retry", async () => {
    const broken = new ReadableStream({
      start(controller) {
        controller.error(new Error("connection reset"));
      },
    });
    const error = await acceptedMessageId("P", new Response(broken, { status: 200 }), schema).catch((e) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error.options).toMatchObject({ status: 200, retryable: false, code: "accepted_without_id" });
    expect(error.message).toBe("P accepted the message (HTTP 200) but answered without a message id: ");
  });

  it("uses the stand-in only when the answer has no id", async () => {
    expect(await acceptedMessageId("P", new Response("{}"), schema, () => "made-up")).toBe("made-up");
    expect(await acceptedMessageId("P", new Response('{"id":"m2"}'), schema, () => "made-up")).toBe("m2");
  });
});
