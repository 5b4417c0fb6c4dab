import { createHash } from "node:crypto";
import { describe, expect, inject, it } from "vitest";
import { builderbotIncoming, builderbotOutgoing } from "../../../test/support/builderbot";
import { fakeRequests, scriptFake } from "../../../test/support/provider";
import { ProviderError } from "../http";
import { channelSettings } from "../settings";
import { MalformedPayloadError, type ProviderContext, type WebhookRequest } from "../types";
import { builderbotAdapter } from "./adapter";

const settings = channelSettings.parse({});
const channelId = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";

function request(body: unknown, headers: Record<string, string> = {}, channel = channelId): WebhookRequest {
  return {
    channelId: channel,
    method: "POST",
    url: `http://localhost:8787/webhooks/builderbot/${channel}`,
    headers: new Headers(headers),
    rawBody: typeof body === "string" ? body : JSON.stringify(body),
  };
}

const parse = (body: unknown, channel = channelId, s = settings) =>
  builderbotAdapter.parse(request(body, {}, channel), {}, s);

describe("BuilderBot verify", () => {
  it("accepts the configured X-Webhook-Token, or the channel secret when none is configured", async () => {
    const body = builderbotIncoming();
    const ok = (token: string, cfg: { webhookToken?: string }) =>
      builderbotAdapter.verify(request(body, { "x-webhook-token": token }), cfg, "channel-secret");
    expect(await ok("configured", { webhookToken: "configured" })).toBe(true);
    expect(await ok("channel-secret", { webhookToken: "configured" })).toBe(false);
    expect(await ok("channel-secret", {})).toBe(true);
    expect(await ok("configure", { webhookToken: "configured" })).toBe(false);
    expect(await ok("Configured", { webhookToken: "configured" })).toBe(false);
    expect(await builderbotAdapter.verify(request(body), {}, "channel-secret")).toBe(false);
    expect(await builderbotAdapter.verify(request(body, { "x-webhook-token": "" }), {}, "")).toBe(false);
  });
});

describe("BuilderBot parse", () => {
  it("maps message.incoming text; the key is the raw body's SHA-256, scoped to the channel", () => {
    const body = JSON.stringify(builderbotIncoming({ body: "Oi, tudo bem?" }));
    const [event] = parse(body);
    const hash = createHash("sha256").update(body).digest("hex");
    expect(event).toEqual({
      kind: "message",
      idempotencyKey: `${channelId}:sha256:${hash}`,
      providerMessageId: `sha256:${hash}`,
      from: { phone: "+5511987654321", name: "Maria Cliente" },
      timestamp: expect.any(Date),
      type: "text",
      text: "Oi, tudo bem?",
    });
    // The same body again: the same key (a redelivery). Another channel: another key.
    expect(parse(body)[0]).toMatchObject({ idempotencyKey: `${channelId}:sha256:${hash}` });
    const other = "0193a1b2-c3d4-7e5f-8a9b-000000000000";
    expect(parse(body, other)[0]).toMatchObject({ idempotencyKey: `${other}:sha256:${hash}` });
  });

  it("uses the provider's message id when the payload has one", () => {
    expect(parse(builderbotIncoming({ messageId: "3EB0C767D26A1D3F8A1B" }))[0]).toMatchObject({
      idempotencyKey: `${channelId}:3EB0C767D26A1D3F8A1B`,
      providerMessageId: "3EB0C767D26A1D3F8A1B",
    });
    expect(parse(builderbotIncoming({ key: { id: "ABCDEF", remoteJid: "x" } }))[0]).toMatchObject({
      providerMessageId: "ABCDEF",
    });
  });

  it("maps attachments and urlTempFile to media, with the placeholder body dropped", () => {
    const [image] = parse(
      builderbotIncoming({
        body: "_event_media__0a1b2c3d-4e5f-6789-abcd-ef0123456789",
        attachment: [{ url: "https://files.example.com/a.jpg", mimetype: "image/jpeg" }],
        urlTempFile: "https://files.example.com/a.jpg",
      }),
    );
    expect(image).toMatchObject({
      type: "image",
      media: { url: "https://files.example.com/a.jpg", mimeType: "image/jpeg" },
    });
    expect(image).not.toHaveProperty("text");

    const [voice] = parse(
      builderbotIncoming({ body: "_event_voice_note__x", urlTempFile: "https://files.example.com/v" }),
    );
    expect(voice).toMatchObject({ type: "audio", media: { url: "https://files.example.com/v", voice: true } });

    const [doc] = parse(builderbotIncoming({ body: "segue a nota", attachment: ["https://files.example.com/n.pdf"] }));
    expect(doc).toMatchObject({
      type: "document",
      text: "segue a nota",
      media: { url: "https://files.example.com/n.pdf", caption: "segue a nota" },
    });

    const events = parse(
      builderbotIncoming({
        body: "duas",
        attachment: [
          { url: "https://files.example.com/1.png", mime_type: "image/png" },
          { url: "https://files.example.com/2.mp4", mimeType: "video/mp4" },
        ],
      }),
    );
    expect(events).toHaveLength(2);
    const key = (events[0] as { idempotencyKey: string }).idempotencyKey;
    expect(events[1]).toMatchObject({ type: "video", idempotencyKey: `${key}:1` });
    expect(events[1]).not.toHaveProperty("text");
  });

  it.each([
    [
      "document with caption",
      {
        body: "segue o comprovante",
        attachment: [{ url: "https://bb-files.example.com/t/c.pdf", mimetype: "application/pdf", filename: "c.pdf" }],
      },
      {
        type: "document",
        text: "segue o comprovante",
        media: { mimeType: "application/pdf", filename: "c.pdf", caption: "segue o comprovante" },
      },
    ],
    [
      "video",
      { body: "_event_media__x", attachment: ["https://bb-files.example.com/t/v.mp4"] },
      { type: "video", media: { url: "https://bb-files.example.com/t/v.mp4" } },
    ],
    [
      "text with a provider message id",
      { body: "com id", messageId: "3EB0C767D26A1D3F8A1B" },
      { type: "text", text: "com id", providerMessageId: "3EB0C767D26A1D3F8A1B" },
    ],
  ])("maps a %s", (_name, data, expected) => {
    const events = parse(builderbotIncoming(data));
    expect(events, JSON.stringify(events)).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: "message", ...expected });
  });

  it("ignores other events, groups and empty messages", () => {
    expect(parse(builderbotOutgoing())).toEqual([{ kind: "ignored", reason: "event message.outgoing" }]);
    expect(parse({ eventName: "status.ready", data: null })).toEqual([
      { kind: "ignored", reason: "event status.ready" },
    ]);
    expect(parse(builderbotIncoming({ from: "120363025246125486@g.us" }))[0]).toMatchObject({ kind: "ignored" });
    expect(
      parse(builderbotIncoming({ from: "120363025246125486@g.us" }), channelId, {
        ...settings,
        ignoreGroups: false,
      })[0],
    ).toMatchObject({ kind: "ignored" });
    expect(parse(builderbotIncoming({ body: "   " }))[0]).toMatchObject({ kind: "ignored", reason: "empty message" });
    expect(parse(builderbotIncoming({ from: "status@broadcast" }))[0]).toMatchObject({ kind: "ignored" });
    expect(parse(builderbotIncoming({ from: "12345" }))).toEqual([
      { kind: "ignored", reason: "sender is not a phone number" },
    ]);
  });

  it("keeps a placeholder without a file, and content that does not read, as unsupported messages", () => {
    const location = builderbotIncoming({ body: "_event_location__x" });
    expect(parse(location)).toEqual([
      expect.objectContaining({
        kind: "message",
        type: "unsupported",
        content: { providerType: "location", raw: location.data },
      }),
    ]);
    const odd = builderbotIncoming({ body: "x", attachment: "a" });
    expect(parse(odd)[0]).toMatchObject({ type: "unsupported", content: { providerType: "message", raw: odd.data } });
  });

  it("keeps a number libphonenumber does not know, marked unverified", () => {
    expect(parse(builderbotIncoming({ from: "972987654321", body: "shalom" }))[0]).toMatchObject({
      kind: "message",
      from: { phone: "+972987654321", phoneVerified: false },
      text: "shalom",
    });
  });

  it("tolerates extra fields and a numeric sender", () => {
    const [event] = parse(
      builderbotIncoming(
        { from: 5511987654321, body: "oi", host: { phone: "5511999990000" }, refSerialize: "x" },
        {
          timestamp: 1,
        },
      ),
    );
    expect(event).toMatchObject({ kind: "message", from: { phone: "+5511987654321" }, text: "oi" });
  });

  it("throws MalformedPayloadError for bodies of the wrong shape", () => {
    for (const body of [
      "{not json",
      "[]",
      "null",
      JSON.stringify({ data: { body: "x", from: "5511987654321" } }),
      JSON.stringify({ eventName: "message.incoming" }),
      JSON.stringify({ eventName: "message.incoming", data: { body: "sem remetente" } }),
      JSON.stringify({ eventName: "message.incoming", data: { body: "x", from: { id: 1 } } }),
    ]) {
      expect(() => parse(body), body).toThrow(MalformedPayloadError);
    }
  });
});

describe("BuilderBot send", () => {
  let n = 0;
  const setup = () => {
    const botId = `bot-${Date.now().toString(36)}-${++n}`;
    const ctx: ProviderContext = {
      baseUrl: `${inject("fakesUrl")}/builderbot`,
      fetch,
      publicUrl: "http://localhost:8787",
      channelId,
    };
    return { ctx, cfg: { apiKey: "bb-key-123", botId }, prefix: `/builderbot/api/v2/${botId}/` };
  };
  const to = { phone: "+5511987654321" };

  it("posts text and media to /api/v2/{botId}/messages with the API key", async () => {
    const { ctx, cfg, prefix } = setup();
    const text = await builderbotAdapter.send(ctx, cfg, to, { kind: "text", text: "Olá!" });
    expect(text.providerMessageId).toMatch(/^bb_/);
    await builderbotAdapter.send(ctx, cfg, to, {
      kind: "media",
      mediaUrl: "https://cdn.example.com/a.jpg",
      mediaType: "image",
      caption: "foto",
    });
    const [first, second] = await fakeRequests(prefix);
    expect(first).toMatchObject({ method: "POST", path: `${prefix}messages` });
    expect(first?.headers["x-api-builderbot"]).toBe("bb-key-123");
    expect(first?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(first?.body ?? "")).toEqual({
      messages: { content: "Olá!" },
      number: "5511987654321",
      checkIfExists: false,
    });
    expect(JSON.parse(second?.body ?? "")).toEqual({
      messages: { content: "foto", mediaUrl: "https://cdn.example.com/a.jpg" },
      number: "5511987654321",
      checkIfExists: false,
    });
  });

  it("uses apiUrl from the config over the base URL, and stands in an id when the answer has none", async () => {
    const { ctx, cfg } = setup();
    const prefix = `/builderbot/self-hosted/api/v2/${cfg.botId}/`;
    await scriptFake(prefix, [{ status: 200, body: { status: "ok" } }]);
    const result = await builderbotAdapter.send(
      { ...ctx, baseUrl: "http://127.0.0.1:1" },
      { ...cfg, apiUrl: `${inject("fakesUrl")}/builderbot/self-hosted/` },
      to,
      { kind: "text", text: "x" },
    );
    expect(result.providerMessageId).toMatch(/^bb-out:[0-9a-f-]{36}$/);
    expect(await fakeRequests(prefix)).toHaveLength(1);
  });

  it("refuses templates as final, without calling BuilderBot", async () => {
    const { ctx, cfg, prefix } = setup();
    const error = await builderbotAdapter
      .send(ctx, cfg, to, { kind: "template", name: "boas_vindas", language: "pt_BR" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).options).toMatchObject({ retryable: false, code: "template_unsupported" });
    expect(await fakeRequests(prefix)).toHaveLength(0);
  });

  it("maps 429 with Retry-After and 5xx to retryable errors, 400 and 401 to final ones", async () => {
    const { ctx, cfg, prefix } = setup();
    const send = () => builderbotAdapter.send(ctx, cfg, to, { kind: "text", text: "x" }).catch((e: unknown) => e);

    await scriptFake(prefix, [{ status: 429, headers: { "retry-after": "60" }, body: { error: "Too many requests" } }]);
    const limited = (await send()) as ProviderError;
    expect(limited).toBeInstanceOf(ProviderError);
    expect(limited.options).toEqual({ status: 429, retryable: true, retryAfter: 60, code: "429" });
    expect(limited.message).toBe("Too many requests");

    const down = { status: 503, headers: { "retry-after": "0" }, body: { message: "unavailable" } };
    await scriptFake(prefix, [down, down, down]);
    expect(((await send()) as ProviderError).options).toMatchObject({ status: 503, retryable: true });

    await scriptFake(prefix, [{ status: 400, body: { error: "number is required" } }]);
    const bad = (await send()) as ProviderError;
    expect(bad.options).toMatchObject({ status: 400, retryable: false, code: "400" });
    expect(bad.message).toBe("number is required");

    await scriptFake(prefix, [{ status: 401, body: { message: "Unauthorized: Token is missing" } }]);
    expect(((await send()) as ProviderError).options).toMatchObject({ status: 401, retryable: false });

    // 1 + 3 + 1 + 1 requests: the 503 was retried in place twice.
    expect(await fakeRequests(prefix)).toHaveLength(6);
  });
});
