import { getExpectedTwilioSignature, validateRequest } from "twilio/lib/webhooks/webhooks";
import { describe, expect, inject, it } from "vitest";
import { fakeRequests, scriptFake } from "../../../test/support/provider";
import {
  accountSid,
  contentSid,
  messageSid,
  PUBLIC_URL,
  twilioInboundParams,
  twilioSignature,
  twilioStatusParams,
  twilioWhatsAppParams,
} from "../../../test/support/twilio";
import { ProviderError } from "../http";
import { channelSettings } from "../settings";
import { MalformedPayloadError, type ProviderContext, type WebhookRequest } from "../types";
import { twilioAdapter } from "./adapter";

const settings = channelSettings.parse({});
const channelId = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";

function request(
  route: "sms" | "sms-status",
  params: Record<string, string> | string,
  headers: Record<string, string> = {},
  url = `${PUBLIC_URL}/webhooks/twilio/${channelId}/${route}`,
): WebhookRequest {
  return {
    channelId,
    method: "POST",
    url,
    headers: new Headers(headers),
    rawBody: typeof params === "string" ? params : new URLSearchParams(params).toString(),
    route,
  };
}

// The worked example of Twilio's webhook security guide:
// https://www.twilio.com/docs/usage/security#validating-requests
const VECTOR = {
  authToken: "12345",
  url: "https://mycompany.com/myapp.php?foo=1&bar=2",
  params: {
    CallSid: "CA1234567890ABCDE",
    Caller: "+12349013030",
    Digits: "1234",
    From: "+12349013030",
    To: "+18005551212",
  },
  signature: "0/KCTR6DLpKmkAf8muzZqo1nDgQ=",
};

describe("Twilio signature", () => {
  it("reproduces Twilio's published test vector, in workerd, with the twilio validator", async () => {
    expect(getExpectedTwilioSignature(VECTOR.authToken, VECTOR.url, VECTOR.params)).toBe(VECTOR.signature);
    expect(validateRequest(VECTOR.authToken, VECTOR.signature, VECTOR.url, VECTOR.params)).toBe(true);
    // And the independent WebCrypto implementation the tests sign with agrees.
    expect(await twilioSignature(VECTOR.authToken, VECTOR.url, VECTOR.params)).toBe(VECTOR.signature);
  });

  it("verifies the published vector through the adapter, and nothing tampered", async () => {
    const cfg = { authToken: VECTOR.authToken };
    const signed = (params: Record<string, string>, url = VECTOR.url, signature = VECTOR.signature) => ({
      ...request("sms", params, { "x-twilio-signature": signature }),
      url,
    });
    // The body order does not matter: the signature sorts the parameters.
    const reordered = Object.fromEntries(Object.entries(VECTOR.params).reverse());
    expect(await twilioAdapter.verify(signed(reordered), cfg, "")).toBe(true);
    expect(await twilioAdapter.verify(signed({ ...VECTOR.params, Digits: "9999" }), cfg, "")).toBe(false);
    expect(await twilioAdapter.verify(signed(VECTOR.params, `${VECTOR.url}&baz=3`), cfg, "")).toBe(false);
    expect(await twilioAdapter.verify(signed(VECTOR.params), { authToken: "54321" }, "")).toBe(false);
    expect(await twilioAdapter.verify(signed(VECTOR.params, VECTOR.url, "0/KCTR6DLpKmkAf8muzZqo1nDgQ"), cfg, "")).toBe(
      false,
    );
  });

  it("verifies a signature computed for our webhook URL, and rejects it anywhere else", async () => {
    const authToken = "f3d9c1b7a2e84d6c9b0a1e2f3c4d5e6f";
    const params = twilioInboundParams(accountSid());
    const url = `${PUBLIC_URL}/webhooks/twilio/${channelId}/sms`;
    const signature = getExpectedTwilioSignature(authToken, url, params);
    expect(await twilioSignature(authToken, url, params)).toBe(signature);
    const cfg = { authToken };
    expect(await twilioAdapter.verify(request("sms", params, { "x-twilio-signature": signature }), cfg, "")).toBe(true);
    // Signed for /sms, replayed against /sms-status.
    const status = request("sms-status", params, { "x-twilio-signature": signature });
    expect(await twilioAdapter.verify(status, cfg, "")).toBe(false);
    // Another channel's URL.
    const other = request("sms", params, { "x-twilio-signature": signature }, url.replace(channelId, "x"));
    expect(await twilioAdapter.verify(other, cfg, "")).toBe(false);
    // A parameter added to the body.
    const added = request("sms", { ...params, Extra: "1" }, { "x-twilio-signature": signature });
    expect(await twilioAdapter.verify(added, cfg, "")).toBe(false);
  });

  it("refuses a missing or garbage signature without throwing", async () => {
    const cfg = { authToken: "token" };
    const cases: Record<string, string>[] = [
      {},
      { "x-twilio-signature": "" },
      { "x-twilio-signature": "%%%not base64" },
    ];
    for (const headers of cases) {
      expect(await twilioAdapter.verify(request("sms", twilioInboundParams(accountSid()), headers), cfg, "")).toBe(
        false,
      );
    }
    const garbage = { ...request("sms", "%E0%A4%A=&&==&\u0000", { "x-twilio-signature": "abc" }), url: "not a url" };
    expect(await twilioAdapter.verify(garbage, cfg, "")).toBe(false);
  });
});

describe("Twilio parse", () => {
  const parse = (route: "sms" | "sms-status", params: Record<string, string> | string) =>
    twilioAdapter.parse(request(route, params), { authToken: "t" }, settings);

  it("maps an SMS to a text message keyed by its MessageSid", () => {
    const sid = messageSid();
    const [event] = parse("sms", twilioInboundParams(accountSid(), { MessageSid: sid, Body: "Olá + até já" }));
    expect(event).toMatchObject({
      kind: "message",
      idempotencyKey: sid,
      providerMessageId: sid,
      type: "text",
      text: "Olá + até já",
      from: { phone: "+5511987654321" },
    });
  });

  it("maps WhatsApp over Twilio: whatsapp: prefix stripped, profile name kept", () => {
    const [event] = parse("sms", twilioWhatsAppParams(accountSid()));
    expect(event).toMatchObject({
      kind: "message",
      type: "text",
      text: "Oi pelo WhatsApp",
      from: { phone: "+5511987654321", name: "Maria Cliente" },
    });
  });

  it("makes one message per media: the first carries the body, the rest are keyed by index", () => {
    const sid = messageSid();
    const url = (i: number) =>
      `https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME${String(i).repeat(32)}`;
    const events = parse(
      "sms",
      twilioInboundParams(accountSid(), {
        MessageSid: sid,
        Body: "fotos",
        NumMedia: "3",
        MediaUrl0: url(1),
        MediaContentType0: "image/jpeg",
        MediaUrl1: url(2),
        MediaContentType1: "application/pdf",
        MediaUrl2: url(3),
        MediaContentType2: "audio/ogg",
      }),
    );
    expect(events).toHaveLength(3);
    expect(events[0]).toMatchObject({
      idempotencyKey: sid,
      providerMessageId: sid,
      type: "image",
      text: "fotos",
      media: { url: url(1), providerMediaId: `ME${"1".repeat(32)}`, mimeType: "image/jpeg", caption: "fotos" },
    });
    expect(events[1]).toMatchObject({ idempotencyKey: `${sid}:1`, providerMessageId: `${sid}:1`, type: "document" });
    expect(events[1]).not.toHaveProperty("text", "fotos");
    expect(events[2]).toMatchObject({ idempotencyKey: `${sid}:2`, type: "audio", media: { mimeType: "audio/ogg" } });
  });

  it("maps a WhatsApp location and a quick-reply button", () => {
    const [location] = parse(
      "sms",
      twilioWhatsAppParams(accountSid(), {
        MessageType: "location",
        Body: "",
        Latitude: "-23.5613",
        Longitude: "-46.6565",
        Label: "Paulista",
        Address: "Av. Paulista, 1578",
      }),
    );
    expect(location).toMatchObject({
      type: "location",
      content: { latitude: -23.5613, longitude: -46.6565, name: "Paulista", address: "Av. Paulista, 1578" },
    });
    const [button] = parse(
      "sms",
      twilioWhatsAppParams(accountSid(), {
        MessageType: "button",
        Body: "Sim",
        ButtonText: "Sim",
        ButtonPayload: "confirm_yes",
      }),
    );
    expect(button).toMatchObject({
      type: "interactive",
      text: "Sim",
      content: { replyId: "confirm_yes", title: "Sim" },
    });
  });

  const mediaUrl = (n: number) =>
    `https://api.twilio.com/2010-04-01/Accounts/AC00000000000000000000000000000000/Messages/MM00000000000000000000000000000000/Media/ME${String(n).repeat(32)}`;

  it.each([
    [
      "image",
      { NumMedia: "1", MediaUrl0: mediaUrl(1), MediaContentType0: "image/jpeg", Body: "foto" },
      {
        type: "image",
        text: "foto",
        media: { url: mediaUrl(1), providerMediaId: `ME${"1".repeat(32)}`, mimeType: "image/jpeg", caption: "foto" },
      },
    ],
    [
      "audio",
      { NumMedia: "1", MediaUrl0: mediaUrl(2), MediaContentType0: "audio/ogg", Body: "" },
      { type: "audio", text: undefined, media: { mimeType: "audio/ogg" } },
    ],
    [
      "video",
      { NumMedia: "1", MediaUrl0: mediaUrl(3), MediaContentType0: "video/mp4", Body: "" },
      { type: "video", media: { url: mediaUrl(3) } },
    ],
    [
      "document",
      { NumMedia: "1", MediaUrl0: mediaUrl(4), MediaContentType0: "application/pdf", Body: "nota" },
      { type: "document", text: "nota", media: { mimeType: "application/pdf" } },
    ],
    [
      "vcard",
      { NumMedia: "1", MediaUrl0: mediaUrl(5), MediaContentType0: "text/vcard", Body: "" },
      { type: "document", media: { mimeType: "text/vcard" } },
    ],
  ])("maps an MMS with %s media", (_name, overrides, expected) => {
    const events = parse("sms", twilioInboundParams(accountSid(), overrides));
    expect(events, JSON.stringify(events)).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: "message", ...expected });
  });

  // WhatsApp locations and quick-reply buttons are asserted in "maps a WhatsApp location and a quick-reply button".
  it.each([
    [
      "voice note",
      {
        MessageType: "audio",
        Body: "",
        NumMedia: "1",
        MediaUrl0: "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
        MediaContentType0: "audio/ogg",
      },
      { type: "audio", media: { mimeType: "audio/ogg" } },
    ],
    [
      "sticker",
      {
        MessageType: "sticker",
        Body: "",
        NumMedia: "1",
        MediaUrl0: "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME2",
        MediaContentType0: "image/webp",
      },
      { type: "sticker", media: { mimeType: "image/webp" } },
    ],
  ])("maps a WhatsApp %s", (_name, overrides, expected) => {
    const events = parse("sms", twilioWhatsAppParams(accountSid(), overrides));
    expect(events, JSON.stringify(events)).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: "message", ...expected });
  });

  it("ignores an empty message and a sender that is not a phone number", () => {
    expect(parse("sms", twilioInboundParams(accountSid(), { Body: "" }))).toEqual([
      { kind: "ignored", reason: "empty message" },
    ]);
    expect(parse("sms", twilioWhatsAppParams(accountSid(), { Body: "", MessageType: "text" }))).toEqual([
      { kind: "ignored", reason: "empty message" },
    ]);
    expect(parse("sms", twilioInboundParams(accountSid(), { From: "MyBrand" }))[0]).toMatchObject({
      kind: "ignored",
    });
  });

  it("keeps a number libphonenumber does not know, marked unverified", () => {
    const [event] = parse("sms", twilioWhatsAppParams(accountSid(), { From: "whatsapp:+972987654321" }));
    expect(event).toMatchObject({ kind: "message", from: { phone: "+972987654321", phoneVerified: false } });
  });

  it("keeps a message without a body of a type it does not map, or whose content does not read, as unsupported", () => {
    const unsupported = twilioWhatsAppParams(accountSid(), { Body: "", MessageType: "unsupported" });
    expect(parse("sms", unsupported)).toEqual([
      {
        kind: "message",
        idempotencyKey: unsupported.MessageSid,
        providerMessageId: unsupported.MessageSid,
        from: { phone: "+5511987654321", name: "Maria Cliente" },
        timestamp: expect.any(Date),
        type: "unsupported",
        content: { providerType: "unsupported", raw: unsupported },
      },
    ]);
    const account = accountSid();
    for (const [params, providerType] of [
      [twilioInboundParams(account, { NumMedia: "2", MediaUrl0: "https://x/1" }), "media"],
      [twilioInboundParams(account, { NumMedia: "many" }), "media"],
      [twilioWhatsAppParams(account, { Latitude: "north", Longitude: "1" }), "location"],
      [twilioWhatsAppParams(account, { Body: "", MessageType: "interactive" }), "interactive"],
    ] as const) {
      expect(parse("sms", params), JSON.stringify(params)).toEqual([
        expect.objectContaining({ kind: "message", type: "unsupported", content: { providerType, raw: params } }),
      ]);
    }
  });

  it("maps status callbacks; queued, accepted and sending are ignored", () => {
    const sid = messageSid();
    const account = accountSid();
    for (const status of ["queued", "accepted", "sending", "scheduled", "canceled"]) {
      expect(parse("sms-status", twilioStatusParams(account, sid, status))[0]).toMatchObject({ kind: "ignored" });
    }
    for (const [raw, status] of [
      ["sent", "sent"],
      ["delivered", "delivered"],
      ["read", "read"],
    ]) {
      expect(parse("sms-status", twilioStatusParams(account, sid, raw as string))).toEqual([
        {
          kind: "status",
          idempotencyKey: `${sid}:${raw}`,
          providerMessageId: sid,
          status,
          timestamp: expect.any(Date),
        },
      ]);
    }
    expect(
      parse("sms-status", twilioStatusParams(account, sid, "undelivered", { ErrorCode: "30003" }))[0],
    ).toMatchObject({
      kind: "status",
      idempotencyKey: `${sid}:undelivered`,
      status: "failed",
      error: { code: "30003", message: "Twilio error 30003" },
    });
    expect(
      parse(
        "sms-status",
        twilioStatusParams(account, sid, "failed", { ErrorCode: "63016", ErrorMessage: "Outside the window" }),
      )[0],
    ).toMatchObject({ status: "failed", error: { code: "63016", message: "Outside the window" } });
  });

  it("throws MalformedPayloadError for a body that is not a Twilio webhook", () => {
    const account = accountSid();
    const { MessageSid: _sid, ...noSid } = twilioInboundParams(account);
    expect(() => parse("sms", noSid)).toThrow(MalformedPayloadError);
    expect(() => parse("sms", JSON.stringify({ MessageSid: "SM1" }))).toThrow(MalformedPayloadError);
    expect(() => parse("sms", { ...twilioInboundParams(account), From: "" })).toThrow("From: ");
    const { MessageSid: _s, ...statusNoSid } = twilioStatusParams(account, messageSid(), "sent");
    expect(() => parse("sms-status", statusNoSid)).toThrow(MalformedPayloadError);
    const { MessageStatus: _m, ...statusNoStatus } = twilioStatusParams(account, messageSid(), "sent");
    expect(() => parse("sms-status", statusNoStatus)).toThrow(MalformedPayloadError);
    expect(() => parse("sms-status", "")).toThrow("MessageSid: ");
  });
});

describe("Twilio send", () => {
  const setup = (phoneNumber = "+14155550100") => {
    const sid = accountSid();
    const ctx: ProviderContext = { baseUrl: `${inject("fakesUrl")}/twilio`, fetch, publicUrl: PUBLIC_URL, channelId };
    const cfg = { accountSid: sid, authToken: "auth-token-x", phoneNumber };
    return { ctx, cfg, prefix: `/twilio/2010-04-01/Accounts/${sid}/` };
  };
  const to = { phone: "+5511987654321" };

  it("posts the form with Basic auth and a StatusCallback, and returns the sid", async () => {
    const { ctx, cfg, prefix } = setup();
    const result = await twilioAdapter.send(ctx, cfg, to, { kind: "text", text: "Olá! Como posso ajudar?" });
    expect(result.providerMessageId).toMatch(/^SMfake/);
    const [req, ...more] = await fakeRequests(prefix);
    expect(more).toHaveLength(0);
    expect(req?.method).toBe("POST");
    expect(req?.path).toBe(`${prefix}Messages.json`);
    expect(req?.headers.authorization).toBe(`Basic ${btoa(`${cfg.accountSid}:${cfg.authToken}`)}`);
    expect(req?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(new URLSearchParams(req?.body))).toEqual({
      To: "+5511987654321",
      From: "+14155550100",
      Body: "Olá! Como posso ajudar?",
      StatusCallback: `${PUBLIC_URL}/webhooks/twilio/${channelId}/sms-status`,
    });
  });

  it("prefixes whatsapp: for a WhatsApp sender, sends media and content templates", async () => {
    const { ctx, cfg, prefix } = setup("whatsapp:+14155238886");
    await twilioAdapter.send(ctx, cfg, to, {
      kind: "media",
      mediaUrl: "https://cdn.example.com/nota.pdf",
      mediaType: "document",
      caption: "Sua nota",
    });
    const template = contentSid();
    await twilioAdapter.send(ctx, cfg, to, {
      kind: "template",
      name: template,
      language: "pt_BR",
      variables: ["Maria", "12/01"],
    });
    const [media, tpl] = (await fakeRequests(prefix)).map((r) => Object.fromEntries(new URLSearchParams(r.body)));
    expect(media).toMatchObject({
      To: "whatsapp:+5511987654321",
      From: "whatsapp:+14155238886",
      MediaUrl: "https://cdn.example.com/nota.pdf",
      Body: "Sua nota",
    });
    expect(tpl).toMatchObject({
      To: "whatsapp:+5511987654321",
      ContentSid: template,
      ContentVariables: JSON.stringify({ 1: "Maria", 2: "12/01" }),
    });
    expect(tpl).not.toHaveProperty("Body");
  });

  it("refuses a template name that is not a Content SID without calling Twilio", async () => {
    const { ctx, cfg, prefix } = setup();
    const error = await twilioAdapter
      .send(ctx, cfg, to, { kind: "template", name: "boas_vindas", language: "pt_BR" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).options).toMatchObject({ retryable: false, code: "invalid_content_sid" });
    expect(await fakeRequests(prefix)).toHaveLength(0);
  });

  it("maps 429 with a long Retry-After to a retryable error that keeps the wait", async () => {
    const { ctx, cfg, prefix } = setup();
    await scriptFake(prefix, [
      {
        status: 429,
        headers: { "retry-after": "30" },
        body: {
          code: 20429,
          message: "Too Many Requests",
          more_info: "https://www.twilio.com/docs/errors/20429",
          status: 429,
        },
      },
    ]);
    const error = await twilioAdapter.send(ctx, cfg, to, { kind: "text", text: "x" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).options).toEqual({ status: 429, retryable: true, retryAfter: 30, code: "20429" });
    expect((error as ProviderError).message).toBe("Too Many Requests");
    expect(await fakeRequests(prefix)).toHaveLength(1);
  });

  it("retries a short 429 in place and succeeds", async () => {
    const { ctx, cfg, prefix } = setup();
    await scriptFake(prefix, [{ status: 429, headers: { "retry-after": "0" }, body: { code: 20429, status: 429 } }]);
    const result = await twilioAdapter.send(ctx, cfg, to, { kind: "text", text: "x" });
    expect(result.providerMessageId).toMatch(/^SMfake/);
    expect(await fakeRequests(prefix)).toHaveLength(2);
  });

  it("maps repeated 500s to a retryable error", async () => {
    const { ctx, cfg, prefix } = setup();
    const fail = {
      status: 500,
      headers: { "retry-after": "0" },
      body: { code: 20500, message: "Internal Server Error", status: 500 },
    };
    await scriptFake(prefix, [fail, fail, fail]);
    const error = await twilioAdapter.send(ctx, cfg, to, { kind: "text", text: "x" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).options).toMatchObject({ status: 500, retryable: true, code: "20500" });
    expect(await fakeRequests(prefix)).toHaveLength(3);
  });

  it.each([
    [400, 21211, "The 'To' number +5511987654321 is not a valid phone number."],
    [401, 20003, "Authenticate"],
    [404, 20404, "The requested resource was not found"],
  ])("maps %i (code %i) to a final error with Twilio's code and message", async (status, code, message) => {
    const { ctx, cfg, prefix } = setup();
    await scriptFake(prefix, [
      { status, body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status } },
    ]);
    const error = await twilioAdapter.send(ctx, cfg, to, { kind: "text", text: "x" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).options).toMatchObject({ status, retryable: false, code: String(code) });
    expect((error as ProviderError).message).toBe(message);
    expect(await fakeRequests(prefix)).toHaveLength(1);
  });
});
