import { describe, expect, inject, it } from "vitest";
import { fakeRequests, scriptFake } from "../../../test/support/provider";
import { zapiReceivedPayload, zapiStatusPayload } from "../../../test/support/zapi";
import { ProviderError } from "../http";
import { channelSettings } from "../settings";
import { MalformedPayloadError, type OutboundMessage, type ProviderContext, type WebhookRequest } from "../types";
import { zapiAdapter } from "./adapter";

const defaults = channelSettings.parse({});

function webhook(body: unknown, route = "s3cret"): WebhookRequest {
  return {
    channelId: "01930000-0000-7000-8000-000000000001",
    method: "POST",
    url: `http://localhost:8787/webhooks/zapi/01930000-0000-7000-8000-000000000001/${route}`,
    headers: new Headers({ "content-type": "application/json" }),
    rawBody: typeof body === "string" ? body : JSON.stringify(body),
    route,
  };
}

const parse = (body: unknown, settings = defaults) => zapiAdapter.parse(webhook(body), {}, settings);

let n = 0;
function credentials() {
  n += 1;
  return { instanceId: `unit${Date.now().toString(36)}${n}`, instanceToken: `tok${n}`, clientToken: `client${n}` };
}

const ctx = (): ProviderContext => ({
  baseUrl: `${inject("fakesUrl")}/zapi`,
  fetch,
  publicUrl: "http://localhost:8787",
  channelId: "01930000-0000-7000-8000-000000000001",
});

async function sendError(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe("zapiAdapter.verify", () => {
  it("accepts only the channel's secret path segment", async () => {
    expect(await zapiAdapter.verify(webhook({}, "s3cret"), {}, "s3cret")).toBe(true);
    expect(await zapiAdapter.verify(webhook({}, "s3cre"), {}, "s3cret")).toBe(false);
    expect(await zapiAdapter.verify(webhook({}, "s3cretx"), {}, "s3cret")).toBe(false);
    expect(await zapiAdapter.verify({ ...webhook({}), route: undefined }, {}, "s3cret")).toBe(false);
    expect(await zapiAdapter.verify(webhook({}, ""), {}, "")).toBe(false);
  });
});

describe("zapiAdapter.parse", () => {
  it("normalizes a received text message", () => {
    const payload = zapiReceivedPayload({ phone: "551187654321", momment: 1632228638000, text: { message: "oi" } });
    expect(parse(payload)).toEqual([
      {
        kind: "message",
        idempotencyKey: payload.messageId,
        providerMessageId: payload.messageId,
        // The Brazilian mobile without its ninth digit gets it back.
        from: { phone: "+5511987654321", name: "Maria Cliente" },
        timestamp: new Date(1632228638000),
        type: "text",
        text: "oi",
      },
    ]);
  });

  it("does not take a bare number as the sender's name, and reads type case-insensitively", () => {
    const [event] = parse(
      zapiReceivedPayload({
        type: "ReceivedCallBack",
        senderName: "5511987654321",
        chatName: null,
        text: { message: "x" },
      }),
    );
    expect(event).toMatchObject({ kind: "message", from: { phone: "+5511987654321", name: undefined } });
  });

  it("maps media with the provider URL, a voice note's ptt flag and no empty caption", () => {
    const [audio] = parse(
      zapiReceivedPayload({ audio: { ptt: true, audioUrl: "https://f/a.ogg", mimeType: "audio/ogg; codecs=opus" } }),
    );
    expect(audio).toMatchObject({
      type: "audio",
      media: { url: "https://f/a.ogg", mimeType: "audio/ogg; codecs=opus", voice: true },
    });
    const [image] = parse(zapiReceivedPayload({ image: { imageUrl: "https://f/i.jpg", caption: "", mimeType: null } }));
    expect(image).toMatchObject({
      type: "image",
      text: undefined,
      media: { url: "https://f/i.jpg", caption: undefined },
    });
    const [doc] = parse(
      zapiReceivedPayload({ document: { documentUrl: "https://f/d", title: "Contrato", caption: "assine" } }),
    );
    expect(doc).toMatchObject({ type: "document", text: "assine", media: { filename: "Contrato", caption: "assine" } });
  });

  it("maps replies, reactions and locations to their content", () => {
    expect(
      parse(zapiReceivedPayload({ buttonsResponseMessage: { buttonId: "1", message: "Ótimo" } }))[0],
    ).toMatchObject({
      type: "interactive",
      text: "Ótimo",
      content: { replyId: "1", title: "Ótimo" },
    });
    expect(
      parse(
        zapiReceivedPayload({ listResponseMessage: { message: "Z-API", title: "Plano 2", selectedRowId: "p2" } }),
      )[0],
    ).toMatchObject({ type: "interactive", text: "Plano 2", content: { replyId: "p2", title: "Plano 2" } });
    expect(
      parse(zapiReceivedPayload({ reaction: { value: "❤️", referencedMessage: { messageId: "3EB0X" } } }))[0],
    ).toMatchObject({ type: "reaction", text: "❤️", content: { emoji: "❤️", messageId: "3EB0X" } });
    expect(
      parse(
        zapiReceivedPayload({ location: { latitude: -23.5, longitude: -46.6, address: "", url: "", name: null } }),
      )[0],
    ).toMatchObject({ type: "location", content: { latitude: -23.5, longitude: -46.6 } });
  });

  it.each([
    [
      {
        audio: { ptt: true, seconds: 10, audioUrl: "https://files.z-api.io/a.ogg", mimeType: "audio/ogg; codecs=opus" },
      },
      { type: "audio", media: { url: "https://files.z-api.io/a.ogg", mimeType: "audio/ogg; codecs=opus" } },
    ],
    [
      { image: { mimeType: "image/jpeg", imageUrl: "https://files.z-api.io/i.jpg", caption: "foto", width: 600 } },
      { type: "image", text: "foto", media: { url: "https://files.z-api.io/i.jpg", caption: "foto" } },
    ],
    [
      {
        document: {
          documentUrl: "https://files.z-api.io/d.pdf",
          mimeType: "application/pdf",
          title: "nota",
          pageCount: 1,
          fileName: "nota.pdf",
        },
      },
      { type: "document", media: { url: "https://files.z-api.io/d.pdf", filename: "nota.pdf" } },
    ],
    [
      { video: { videoUrl: "https://files.z-api.io/v.mp4", caption: "", mimeType: "video/mp4", seconds: 13 } },
      { type: "video", text: undefined, media: { url: "https://files.z-api.io/v.mp4", mimeType: "video/mp4" } },
    ],
    [
      { sticker: { stickerUrl: "https://files.z-api.io/s.webp", mimeType: "image/webp" } },
      { type: "sticker", media: { url: "https://files.z-api.io/s.webp" } },
    ],
    [
      { location: { longitude: -46.63, latitude: -23.55, name: "Paulista", address: "", url: "" } },
      { type: "location", content: { latitude: -23.55, longitude: -46.63, name: "Paulista" } },
    ],
    [
      {
        contact: {
          displayName: "João",
          vCard: "BEGIN:VCARD\nVERSION:3.0\nFN:João\nTEL;waid=5511911112222:+55 11 91111-2222\nEND:VCARD",
          phones: ["5511911112222"],
        },
      },
      {
        type: "contact",
        content: { contacts: [{ name: { formatted_name: "João" }, phones: [{ phone: "5511911112222" }] }] },
      },
    ],
    [
      { buttonsResponseMessage: { buttonId: "yes", message: "Sim" } },
      { type: "interactive", text: "Sim", content: { replyId: "yes", title: "Sim" } },
    ],
    [
      { listResponseMessage: { message: "Escolha seu plano", title: "Plano 2", selectedRowId: "p2" } },
      { type: "interactive", text: "Plano 2", content: { replyId: "p2" } },
    ],
    [
      {
        reaction: {
          value: "👍",
          time: 1651878681150,
          reactionBy: "5511987654321",
          referencedMessage: { messageId: "3EB0796DC6B777C0C7CD", fromMe: true, phone: "5511987654321" },
        },
      },
      { type: "reaction", text: "👍", content: { emoji: "👍", messageId: "3EB0796DC6B777C0C7CD" } },
    ],
  ])("maps the content %j", (content, expected) => {
    const events = parse(zapiReceivedPayload(content));
    expect(events, JSON.stringify(events)).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: "message", ...expected });
  });

  it("ignores fromMe and groups by default and follows the channel's settings otherwise", () => {
    const fromMe = zapiReceivedPayload({
      fromMe: true,
      chatName: "Maria Cliente",
      senderName: "Loja",
      text: { message: "x" },
    });
    const group = zapiReceivedPayload({
      isGroup: true,
      phone: "120363019502650977-group",
      chatName: "Grupo",
      text: { message: "x" },
    });
    expect(parse(fromMe)).toEqual([{ kind: "ignored", reason: expect.stringContaining("fromMe") }]);
    expect(parse(group)).toEqual([{ kind: "ignored", reason: "group message" }]);
    const open = { ...defaults, ignoreFromMe: false, ignoreGroups: false };
    expect(parse(fromMe, open)[0]).toMatchObject({
      kind: "message",
      from: { phone: "+5511987654321", name: "Maria Cliente" },
    });
    expect(parse(group, open)[0]).toMatchObject({
      kind: "message",
      from: { identity: { kind: "zapi", externalId: "120363019502650977-group" }, name: "Grupo" },
    });
    // Echoes of our own API sends are never stored: they already are, as the outbound message.
    expect(parse(zapiReceivedPayload({ fromMe: true, fromApi: true, text: { message: "x" } }), open)[0]).toMatchObject({
      kind: "ignored",
    });
  });

  it("files a sender hidden behind a LID under that LID, and ignores notifications", () => {
    expect(parse(zapiReceivedPayload({ phone: "81896604192873@lid", text: { message: "x" } }))).toEqual([
      expect.objectContaining({
        kind: "message",
        from: { identity: { kind: "zapi", externalId: "81896604192873@lid" }, name: "Maria Cliente" },
        type: "text",
        text: "x",
      }),
    ]);
    // A content object replaces the builder's default text: these callbacks carry no content.
    expect(parse(zapiReceivedPayload({ notification: "MISSED_CALL" }))).toEqual([
      { kind: "ignored", reason: "notification MISSED_CALL" },
    ]);
    expect(parse(zapiReceivedPayload({ waitingMessage: true }))).toEqual([
      { kind: "ignored", reason: "message not yet decrypted (waitingMessage)" },
    ]);
    expect(parse(zapiReceivedPayload({ phone: "12345", text: { message: "x" } }))).toEqual([
      { kind: "ignored", reason: "sender is not a phone number" },
    ]);
  });

  it("keeps a number libphonenumber does not know, marked unverified", () => {
    expect(parse(zapiReceivedPayload({ phone: "972987654321", text: { message: "shalom" } }))[0]).toMatchObject({
      kind: "message",
      from: { phone: "+972987654321", phoneVerified: false },
      text: "shalom",
    });
    expect(parse(zapiReceivedPayload())[0]).toMatchObject({ from: { phone: "+5511987654321" } });
    expect(parse(zapiReceivedPayload())[0]).not.toHaveProperty("from.phoneVerified");
  });

  it("keeps contents it does not map, and contents that do not read, as unsupported messages", () => {
    const vote = zapiReceivedPayload({ pollVote: { pollMessageId: "x", options: [] } });
    expect(parse(vote)).toEqual([
      {
        kind: "message",
        idempotencyKey: vote.messageId,
        providerMessageId: vote.messageId,
        from: { phone: "+5511987654321", name: "Maria Cliente" },
        timestamp: new Date(vote.momment),
        type: "unsupported",
        content: { providerType: "pollVote", raw: vote },
      },
    ]);
    const unreadable = zapiReceivedPayload({ image: { caption: "sem url", mimeType: "image/jpeg" } });
    expect(parse(unreadable)[0]).toMatchObject({
      kind: "message",
      type: "unsupported",
      content: { providerType: "image", raw: unreadable },
    });
    expect(parse(zapiReceivedPayload({ text: { message: 42 } }))[0]).toMatchObject({
      type: "unsupported",
      content: { providerType: "text" },
    });
    // A content object replaces the builder's default text: this one has no content at all.
    const bare = zapiReceivedPayload({});
    expect(parse(bare)[0]).toMatchObject({ type: "unsupported", content: { providerType: "unknown", raw: bare } });
  });

  it("turns a status callback into one status event per id", () => {
    const events = parse(zapiStatusPayload(["A1", "A2"], "RECEIVED", { momment: 1632234645000 }));
    expect(events).toEqual([
      {
        kind: "status",
        idempotencyKey: "A1:RECEIVED",
        providerMessageId: "A1",
        status: "delivered",
        timestamp: new Date(1632234645000),
      },
      {
        kind: "status",
        idempotencyKey: "A2:RECEIVED",
        providerMessageId: "A2",
        status: "delivered",
        timestamp: new Date(1632234645000),
      },
    ]);
    expect(parse(zapiStatusPayload(["A1"], "SENT"))[0]).toMatchObject({ status: "sent" });
    expect(parse(zapiStatusPayload(["A1"], "READ"))[0]).toMatchObject({ status: "read", idempotencyKey: "A1:READ" });
    expect(parse(zapiStatusPayload(["A1"], "PLAYED"))[0]).toMatchObject({
      status: "read",
      idempotencyKey: "A1:PLAYED",
    });
    expect(parse(zapiStatusPayload(["A1"], "READ_BY_ME"))).toEqual([{ kind: "ignored", reason: "status READ_BY_ME" }]);
  });

  it("ignores other callbacks and refuses bodies of the wrong shape", () => {
    expect(parse({ type: "DeliveryCallback", phone: "5511987654321", zaapId: "Z", messageId: "M" })).toEqual([
      { kind: "ignored", reason: "callback DeliveryCallback" },
    ]);
    const { messageId: _m, ...noId } = zapiReceivedPayload();
    for (const body of ["{nope", "null", "[]", { text: { message: "x" } }, noId, zapiReceivedPayload({ phone: "" })]) {
      expect(() => parse(body), JSON.stringify(body)).toThrow(MalformedPayloadError);
    }
    expect(() => parse(zapiReceivedPayload({ momment: "yesterday" }))).toThrow("momment: ");
    expect(() => parse("{nope")).toThrow("body is not JSON");
    expect(() => parse(zapiStatusPayload("A1" as unknown as string[], "READ"))).toThrow(MalformedPayloadError);
  });
});

describe("zapiAdapter.send", () => {
  const text: OutboundMessage = { kind: "text", text: "Olá" };

  it("posts to the instance's endpoint with the Client-Token and returns Z-API's message id", async () => {
    const cfg = credentials();
    const result = await zapiAdapter.send(ctx(), cfg, { phone: "+5511987654321" }, text);
    expect(result.providerMessageId).toMatch(/^3EB0FAKE/);
    const [request, ...more] = await fakeRequests(`/zapi/instances/${cfg.instanceId}/`);
    expect(more).toHaveLength(0);
    expect(request?.path).toBe(`/zapi/instances/${cfg.instanceId}/token/${cfg.instanceToken}/send-text`);
    expect(request?.headers["client-token"]).toBe(cfg.clientToken);
    expect(JSON.parse(request?.body ?? "")).toEqual({ phone: "5511987654321", message: "Olá" });
  });

  it("falls back to zaapId when the answer has no messageId", async () => {
    const cfg = credentials();
    await scriptFake(`/zapi/instances/${cfg.instanceId}/`, [{ status: 200, body: { zaapId: "ZAAP1" } }]);
    expect(await zapiAdapter.send(ctx(), cfg, { phone: "+5511987654321" }, text)).toEqual({
      providerMessageId: "ZAAP1",
    });
  });

  it("names a document after its URL and puts the extension in the path", async () => {
    const cfg = credentials();
    await zapiAdapter.send(
      ctx(),
      cfg,
      { phone: "+5511987654321" },
      { kind: "media", mediaType: "document", mediaUrl: "https://cdn.example.com/x/relatorio.xlsx?sig=1" },
    );
    await zapiAdapter.send(
      ctx(),
      cfg,
      { phone: "+5511987654321" },
      { kind: "media", mediaType: "document", mediaUrl: "https://cdn.example.com/download" },
    );
    const requests = await fakeRequests(`/zapi/instances/${cfg.instanceId}/`);
    expect(requests.map((r) => [r.path.split("/token/")[1], JSON.parse(r.body).fileName])).toEqual([
      [`${cfg.instanceToken}/send-document/xlsx`, "relatorio.xlsx"],
      [`${cfg.instanceToken}/send-document/pdf`, "document.pdf"],
    ]);
  });

  it("sends to a group by its id when the contact is a group", async () => {
    const cfg = credentials();
    await zapiAdapter.send(ctx(), cfg, { identity: { kind: "zapi", externalId: "120363019502650977-group" } }, text);
    const [request] = await fakeRequests(`/zapi/instances/${cfg.instanceId}/`);
    expect(JSON.parse(request?.body ?? "")).toMatchObject({ phone: "120363019502650977-group" });
  });

  it("answers a 429 with Retry-After as retryable after that wait", async () => {
    const cfg = credentials();
    await scriptFake(`/zapi/instances/${cfg.instanceId}/`, [
      { status: 429, body: { error: "Too many requests" }, headers: { "retry-after": "30" } },
    ]);
    const error = await sendError(zapiAdapter.send(ctx(), cfg, { phone: "+5511987654321" }, text));
    expect(error.options).toMatchObject({ status: 429, retryable: true, retryAfter: 30 });
    expect(await fakeRequests(`/zapi/instances/${cfg.instanceId}/`)).toHaveLength(1);
  });

  it("retries a 500 in place, then surfaces it as retryable", async () => {
    const cfg = credentials();
    await scriptFake(
      `/zapi/instances/${cfg.instanceId}/`,
      Array.from({ length: 3 }, () => ({ status: 500, body: { error: "Internal error" } })),
    );
    const error = await sendError(zapiAdapter.send(ctx(), cfg, { phone: "+5511987654321" }, text));
    expect(error.options).toMatchObject({ status: 500, retryable: true });
    expect(await fakeRequests(`/zapi/instances/${cfg.instanceId}/`)).toHaveLength(3);
  });

  it("recovers when a 5xx is followed by success", async () => {
    const cfg = credentials();
    await scriptFake(`/zapi/instances/${cfg.instanceId}/`, [{ status: 503, body: "unavailable" }]);
    const result = await zapiAdapter.send(ctx(), cfg, { phone: "+5511987654321" }, text);
    expect(result.providerMessageId).toMatch(/^3EB0FAKE/);
    expect(await fakeRequests(`/zapi/instances/${cfg.instanceId}/`)).toHaveLength(2);
  });

  it("answers a 4xx as final, with Z-API's message", async () => {
    const cfg = credentials();
    await scriptFake(`/zapi/instances/${cfg.instanceId}/`, [
      { status: 400, body: { error: "NOT_FOUND", message: "Unable to find matching target resource method" } },
    ]);
    const error = await sendError(zapiAdapter.send(ctx(), cfg, { phone: "+5511987654321" }, text));
    expect(error.message).toBe("NOT_FOUND: Unable to find matching target resource method");
    expect(error.options).toMatchObject({ status: 400, retryable: false, code: "400" });
  });

  it("refuses templates and recipients without a phone without calling Z-API", async () => {
    const cfg = credentials();
    const template = await sendError(
      zapiAdapter.send(ctx(), cfg, { phone: "+5511987654321" }, { kind: "template", name: "x", language: "pt_BR" }),
    );
    expect(template.options).toMatchObject({ retryable: false, code: "template_unsupported" });
    const noPhone = await sendError(
      zapiAdapter.send(ctx(), cfg, { identity: { kind: "telegram", externalId: "1" } }, text),
    );
    expect(noPhone.options).toMatchObject({ retryable: false });
    expect(await fakeRequests(`/zapi/instances/${cfg.instanceId}/`)).toHaveLength(0);
  });

  it("treats a 200 without any id as a final failure rather than risking a second send", async () => {
    const cfg = credentials();
    await scriptFake(`/zapi/instances/${cfg.instanceId}/`, [{ status: 200, body: { value: false } }]);
    const error = await sendError(zapiAdapter.send(ctx(), cfg, { phone: "+5511987654321" }, text));
    expect(error.options).toMatchObject({ status: 200, retryable: false, code: "accepted_without_id" });
  });
});

describe("zapiAdapter config", () => {
  it("accepts partial credentials and lists what sending needs", () => {
    expect(zapiAdapter.configSchema.safeParse({}).success).toBe(true);
    expect(zapiAdapter.configSchema.safeParse({ instanceId: "i" }).success).toBe(true);
    expect(zapiAdapter.configSchema.safeParse({ instanceId: "" }).success).toBe(false);
    expect(zapiAdapter.sendFields).toEqual(["instanceId", "instanceToken", "clientToken"]);
    expect(zapiAdapter.serviceWindow({})).toBe(false);
    expect(zapiAdapter.webhookUrls("https://sb.example", "c1", "sec")).toEqual({
      webhook: "https://sb.example/webhooks/zapi/c1/sec",
    });
  });
});
