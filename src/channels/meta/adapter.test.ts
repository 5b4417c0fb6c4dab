import { describe, expect, inject, it } from "vitest";
import { fakeRequests, hmacHex, scriptFake } from "../../../test/support/provider";
import { ProviderError } from "../http";
import { channelSettings } from "../settings";
import {
  MalformedPayloadError,
  type OutboundMessage,
  type ProviderContext,
  type Recipient,
  type WebhookRequest,
} from "../types";
import { metaAdapter } from "./adapter";

const settings = channelSettings.parse({});
const CHANNEL = "01930000-0000-7000-8000-0000000000mm";
const TIMESTAMP = "1700000000";

let n = 0;
function config() {
  n += 1;
  return {
    phoneNumberId: `unit${Date.now().toString(36)}${n}`,
    accessToken: `token-${n}`,
    appSecret: "app-secret",
    verifyToken: "verify-me",
  };
}
const cfg = config();

function webhook(body: unknown, headers: Record<string, string> = {}): WebhookRequest {
  return {
    channelId: CHANNEL,
    method: "POST",
    url: `http://localhost:8787/webhooks/meta/${CHANNEL}`,
    headers: new Headers({ "content-type": "application/json", ...headers }),
    rawBody: typeof body === "string" ? body : JSON.stringify(body),
  };
}

const parse = (body: unknown) => metaAdapter.parse(webhook(body), cfg, settings);

/** A messages change for this channel's number, as Meta posts it. */
function change(value: Record<string, unknown>, phoneNumberId = cfg.phoneNumberId, field = "messages") {
  return {
    object: "whatsapp_business_account",
    entry: [
      {
        id: "102290129340398",
        changes: [
          {
            field,
            value: {
              messaging_product: "whatsapp",
              metadata: { display_phone_number: "15550783881", phone_number_id: phoneNumberId },
              ...value,
            },
          },
        ],
      },
    ],
  };
}

/** One inbound message from Maria; `message` names the type and carries its sub-object. */
function inbound(message: Record<string, unknown> & { type: string }, from = "5511987654321") {
  const full = { from, id: `wamid.${++n}`, timestamp: TIMESTAMP, ...message };
  return {
    message: full,
    body: change({ contacts: [{ profile: { name: "Maria Cliente" }, wa_id: from }], messages: [full] }),
  };
}

/** The event Maria's message `raw` becomes, saying `says`. */
const fromMaria = (raw: { id: string }, says: Record<string, unknown>) => ({
  kind: "message",
  idempotencyKey: raw.id,
  providerMessageId: raw.id,
  from: { phone: "+5511987654321", name: "Maria Cliente" },
  timestamp: new Date(Number(TIMESTAMP) * 1000),
  ...says,
});

/** The single event of a one-message body. */
function eventOf(message: Record<string, unknown> & { type: string }, from?: string) {
  const { message: full, body } = inbound(message, from);
  const events = parse(body);
  expect(events, JSON.stringify(events)).toHaveLength(1);
  return { event: events[0], message: full };
}

describe("metaAdapter.verify", () => {
  const body = JSON.stringify(inbound({ type: "text", text: { body: "oi" } }).body);
  const verify = (signature: string | undefined) =>
    metaAdapter.verify(webhook(body, signature === undefined ? {} : { "x-hub-signature-256": signature }), cfg, "");

  it("accepts the HMAC-SHA256 of the raw body with the app secret", async () => {
    expect(await verify(`sha256=${await hmacHex(cfg.appSecret, body)}`)).toBe(true);
  });

  it("refuses another secret's signature, a tampered body and a missing header", async () => {
    expect(await verify(`sha256=${await hmacHex("another-secret", body)}`)).toBe(false);
    expect(await verify(`sha256=${await hmacHex(cfg.appSecret, `${body} `)}`)).toBe(false);
    expect(await verify(undefined)).toBe(false);
  });

  it("refuses garbage without throwing", async () => {
    for (const garbage of ["", "sha256=", "sha1=abc", "sha256=zz", `sha256=${"0".repeat(64)}`, "Bearer x"]) {
      expect(await verify(garbage), garbage).toBe(false);
    }
  });
});

describe("metaAdapter.parse", () => {
  it("maps a text message with the sender's profile name", () => {
    const { event, message } = eventOf({ type: "text", text: { body: "Olá!" } });
    expect(event).toEqual(fromMaria(message, { type: "text", text: "Olá!" }));
  });

  it.each([
    ["image", { id: "img1", mime_type: "image/jpeg", caption: "foto" }, { type: "image", text: "foto" }],
    ["audio", { id: "aud1", mime_type: "audio/ogg; codecs=opus", voice: true }, { type: "audio" }],
    ["video", { id: "vid1", mime_type: "video/mp4" }, { type: "video" }],
    ["document", { id: "doc1", mime_type: "application/pdf", filename: "nota.pdf" }, { type: "document" }],
    ["sticker", { id: "stk1", mime_type: "image/webp" }, { type: "sticker" }],
  ])("maps %s to media with Meta's media id", (type, media, expected) => {
    const { event } = eventOf({ type, [type]: media });
    expect(event).toMatchObject({
      ...expected,
      media: {
        providerMediaId: media.id,
        mimeType: media.mime_type,
        ...("caption" in media ? { caption: media.caption } : {}),
        ...("filename" in media ? { filename: media.filename } : {}),
        ...("voice" in media ? { voice: true } : {}),
      },
    });
  });

  it("maps a location, shared contacts, a reaction and a template's quick-reply button", () => {
    const location = { latitude: -23.56, longitude: -46.65, name: "Paulista", address: "Av. Paulista" };
    expect(eventOf({ type: "location", location }).event).toMatchObject({ type: "location", content: location });
    const contacts = [{ name: { formatted_name: "Ana" }, phones: [{ phone: "+5511999990000" }] }];
    expect(eventOf({ type: "contacts", contacts }).event).toMatchObject({ type: "contact", content: { contacts } });
    expect(eventOf({ type: "reaction", reaction: { message_id: "wamid.X", emoji: "👍" } }).event).toMatchObject({
      type: "reaction",
      text: "👍",
      content: { emoji: "👍", messageId: "wamid.X" },
    });
    expect(eventOf({ type: "button", button: { payload: "yes", text: "Sim" } }).event).toMatchObject({
      type: "interactive",
      text: "Sim",
      content: { replyId: "yes", title: "Sim" },
    });
  });

  it("maps button and list replies", () => {
    const button = { type: "button_reply", button_reply: { id: "b1", title: "Confirmar" } };
    expect(eventOf({ type: "interactive", interactive: button }).event).toMatchObject({
      type: "interactive",
      text: "Confirmar",
      content: { replyId: "b1", title: "Confirmar" },
    });
    const list = { type: "list_reply", list_reply: { id: "p2", title: "Plano 2", description: "mensal" } };
    expect(eventOf({ type: "interactive", interactive: list }).event).toMatchObject({
      type: "interactive",
      text: "Plano 2",
      content: { replyId: "p2", title: "Plano 2" },
    });
  });

  it("maps a WhatsApp Flows reply (nfm_reply) with its parsed response", () => {
    const nfm = { name: "flow", body: "Sent", response_json: '{"flow_token":"t1","cpf":"123"}' };
    expect(eventOf({ type: "interactive", interactive: { type: "nfm_reply", nfm_reply: nfm } }).event).toMatchObject({
      kind: "message",
      type: "interactive",
      text: "Sent",
      content: { flow: { name: "flow", body: "Sent", response: { flow_token: "t1", cpf: "123" } } },
    });
    // A response that is not JSON is kept as Meta sent it; a reply without a body has no text.
    const odd = { response_json: "not json" };
    const { event } = eventOf({ type: "interactive", interactive: { type: "nfm_reply", nfm_reply: odd } });
    expect(event).toMatchObject({ type: "interactive", content: { flow: { response: "not json" } } });
    expect(event).not.toHaveProperty("text");
  });

  it.each([
    [
      "Meta's own unsupported type",
      { type: "unsupported", errors: [{ code: 131051, title: "Unsupported" }] },
      "unsupported",
    ],
    [
      "a call permission reply",
      {
        type: "interactive",
        interactive: { type: "call_permission_reply", call_permission_reply: { response: "accept" } },
      },
      "interactive.call_permission_reply",
    ],
    [
      "an interactive message with errors",
      { type: "interactive", interactive: { type: "button_reply", errors: [{ code: 131051 }] } },
      "interactive.button_reply",
    ],
    [
      "an unknown interactive subtype",
      { type: "interactive", interactive: { type: "carousel_reply" } },
      "interactive.carousel_reply",
    ],
    ["a type added later", { type: "order", order: { catalog_id: "c1", product_items: [] } }, "order"],
    ["an image without its image object", { type: "image" }, "image"],
    ["a text without its text", { type: "text" }, "text"],
    ["a text whose body is not a string", { type: "text", text: { body: 42 } }, "text"],
    ["an interactive without its object", { type: "interactive" }, "interactive"],
  ])("keeps %s as an unsupported message with the raw message", (_, message, providerType) => {
    const { event, message: raw } = eventOf(message);
    expect(event).toEqual(fromMaria(raw, { type: "unsupported", content: { providerType, raw } }));
  });

  it("keeps a sender number libphonenumber does not know, as its digits, unverified", () => {
    const { event } = eventOf({ type: "text", text: { body: "shalom" } }, "972987654321");
    expect(event).toMatchObject({
      kind: "message",
      from: { phone: "+972987654321", phoneVerified: false, name: "Maria Cliente" },
      text: "shalom",
    });
    expect(eventOf({ type: "text", text: { body: "x" } }, "12345").event).toEqual({
      kind: "ignored",
      reason: "sender is not a phone number",
    });
  });

  it("reads a timestamp it cannot use as now rather than failing", () => {
    const before = Date.now();
    const { event } = eventOf({ type: "text", text: { body: "x" }, timestamp: "soon" });
    expect(event).toMatchObject({ kind: "message" });
    expect((event as { timestamp: Date }).timestamp.getTime()).toBeGreaterThanOrEqual(before);
  });

  it("maps statuses, with the error of a failed one, and ignores statuses it does not know", () => {
    const status = (s: string, extra: Record<string, unknown> = {}) =>
      parse(
        change({ statuses: [{ id: "wamid.OUT", status: s, timestamp: TIMESTAMP, recipient_id: "551", ...extra }] }),
      );
    for (const s of ["sent", "delivered", "read"]) {
      expect(status(s)).toEqual([
        {
          kind: "status",
          idempotencyKey: `wamid.OUT:${s}`,
          providerMessageId: "wamid.OUT",
          status: s,
          timestamp: new Date(Number(TIMESTAMP) * 1000),
        },
      ]);
    }
    expect(status("failed", { errors: [{ code: 131047, title: "Re-engagement message" }] })[0]).toMatchObject({
      status: "failed",
      error: { code: "131047", message: "Re-engagement message" },
    });
    expect(status("deleted")).toEqual([{ kind: "ignored", reason: "status deleted" }]);
  });

  it("ignores another number's events, other fields and other objects", () => {
    const text = { from: "5511987654321", id: "wamid.1", timestamp: TIMESTAMP, type: "text", text: { body: "x" } };
    expect(parse(change({ messages: [text] }, "another-number"))).toEqual([
      { kind: "ignored", reason: "another phone number id" },
    ]);
    expect(parse(change({ messages: [text] }, cfg.phoneNumberId, "account_update"))).toEqual([
      { kind: "ignored", reason: "field account_update" },
    ]);
    expect(parse({ object: "page", entry: [] })).toEqual([{ kind: "ignored", reason: "object page" }]);
  });

  it("refuses bodies that are not Meta webhooks, saying where", () => {
    expect(() => parse("{not json")).toThrow("body is not JSON");
    expect(() => parse({ object: "whatsapp_business_account" })).toThrow("entry: ");
    expect(() => parse("[]")).toThrow("body: ");
    const noId = { from: "5511987654321", timestamp: TIMESTAMP, type: "text", text: { body: "x" } };
    expect(() => parse(change({ messages: [noId] }))).toThrow("entry.0.changes.0.value.messages.0.id: ");
    expect(() => parse(change({ messages: "many" }))).toThrow(MalformedPayloadError);
  });
});

describe("metaAdapter.send", () => {
  const ctx = (): ProviderContext => ({
    baseUrl: `${inject("fakesUrl")}/meta/v21.0`,
    fetch,
    publicUrl: "http://localhost:8787",
    channelId: CHANNEL,
  });
  const maria: Recipient = { phone: "+5511987654321" };

  async function sent(message: OutboundMessage) {
    const c = config();
    const result = await metaAdapter.send(ctx(), c, maria, message);
    const requests = await fakeRequests(`/meta/v21.0/${c.phoneNumberId}/`);
    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request?.path).toBe(`/meta/v21.0/${c.phoneNumberId}/messages`);
    expect(request?.headers.authorization).toBe(`Bearer ${c.accessToken}`);
    return { result, body: JSON.parse(request?.body ?? "null") };
  }

  /** The ProviderError a send fails with. */
  async function refusal(c: ReturnType<typeof config>, to: Recipient = maria): Promise<ProviderError> {
    const error: unknown = await metaAdapter.send(ctx(), c, to, { kind: "text", text: "x" }).catch((e: unknown) => e);
    if (!(error instanceof ProviderError)) throw new Error(`expected a ProviderError, got ${JSON.stringify(error)}`);
    return error;
  }

  it("posts a text to /<phoneNumberId>/messages and returns the wamid", async () => {
    const { result, body } = await sent({ kind: "text", text: "Olá" });
    expect(result.providerMessageId).toMatch(/^wamid\.FAKE/);
    expect(body).toEqual({
      messaging_product: "whatsapp",
      recipient_type: "individual",
      to: "5511987654321",
      type: "text",
      text: { body: "Olá", preview_url: false },
    });
  });

  it("posts media by link, with a caption except on audio", async () => {
    const image = await sent({
      kind: "media",
      mediaType: "image",
      mediaUrl: "https://cdn.example/i.jpg",
      caption: "foto",
    });
    expect(image.body).toMatchObject({ type: "image", image: { link: "https://cdn.example/i.jpg", caption: "foto" } });
    const audio = await sent({
      kind: "media",
      mediaType: "audio",
      mediaUrl: "https://cdn.example/a.ogg",
      caption: "x",
    });
    expect(audio.body).toMatchObject({ type: "audio", audio: { link: "https://cdn.example/a.ogg" } });
    expect(audio.body.audio).not.toHaveProperty("caption");
  });

  it("posts a template with its language and body variables", async () => {
    const { body } = await sent({
      kind: "template",
      name: "pedido_enviado",
      language: "pt_BR",
      variables: ["Ana", "42"],
    });
    expect(body).toMatchObject({
      type: "template",
      template: {
        name: "pedido_enviado",
        language: { code: "pt_BR" },
        components: [
          {
            type: "body",
            parameters: [
              { type: "text", text: "Ana" },
              { type: "text", text: "42" },
            ],
          },
        ],
      },
    });
    const bare = await sent({ kind: "template", name: "hello_world", language: "en_US" });
    expect(bare.body.template.components).toEqual([]);
  });

  it("answers Meta's throughput codes as retryable, even under HTTP 400, and other errors as final", async () => {
    const c = config();
    const prefix = `/meta/v21.0/${c.phoneNumberId}/`;
    await scriptFake(prefix, [{ status: 400, body: { error: { message: "Rate limit hit", code: 130429 } } }]);
    const limited = await refusal(c);
    expect(limited.message).toBe("Rate limit hit");
    expect(limited.options).toMatchObject({ status: 400, retryable: true, code: "130429" });
    await scriptFake(prefix, [{ status: 400, body: { error: { message: "Re-engagement message", code: 131047 } } }]);
    const refused = await refusal(c);
    expect(refused.options).toMatchObject({ status: 400, retryable: false, code: "131047" });
    await scriptFake(prefix, [{ status: 401, body: "<html>not json</html>" }]);
    const garbage = await refusal(c);
    expect(garbage.message).toBe("HTTP 401");
    expect(garbage.options).toMatchObject({ status: 401, retryable: false, code: "401" });
  });

  it("refuses a recipient without a phone as final, without calling Meta", async () => {
    const c = config();
    const error = await refusal(c, { identity: { kind: "telegram", externalId: "1" } });
    expect(error.options).toMatchObject({ retryable: false, code: "no_phone" });
    expect(await fakeRequests(`/meta/v21.0/${c.phoneNumberId}/`)).toHaveLength(0);
  });
});

describe("metaAdapter.challenge", () => {
  const url = (params: Record<string, string>) =>
    `http://localhost:8787/webhooks/meta/${CHANNEL}?${new URLSearchParams(params).toString()}`;

  it("echoes hub.challenge for a subscribe with the channel's verify token", async () => {
    const challenge = metaAdapter.challenge;
    expect(challenge).toBeDefined();
    const ok = url({ "hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444" });
    expect(await challenge?.(ok, cfg)).toBe("1158201444");
  });

  it("refuses another token or another mode", async () => {
    const wrong = url({ "hub.mode": "subscribe", "hub.verify_token": "verify-you", "hub.challenge": "1" });
    expect(await metaAdapter.challenge?.(wrong, cfg)).toBeNull();
    const mode = url({ "hub.mode": "unsubscribe", "hub.verify_token": "verify-me", "hub.challenge": "1" });
    expect(await metaAdapter.challenge?.(mode, cfg)).toBeNull();
    expect(await metaAdapter.challenge?.(url({}), cfg)).toBeNull();
  });
});

describe("metaAdapter config", () => {
  it("needs the app secret and verify token to receive, the access token only to send", () => {
    expect(metaAdapter.configSchema.safeParse({ phoneNumberId: "1", appSecret: "s", verifyToken: "v" }).success).toBe(
      true,
    );
    expect(metaAdapter.configSchema.safeParse({ phoneNumberId: "1", appSecret: "s" }).success).toBe(false);
    expect(metaAdapter.sendFields).toEqual(["phoneNumberId", "accessToken"]);
    expect(metaAdapter.webhookRoutes).toEqual([{ method: "POST" }]);
    expect(metaAdapter.webhookUrls("https://sb.example", "c1", "sec")).toEqual({
      webhook: "https://sb.example/webhooks/meta/c1",
    });
  });
});
