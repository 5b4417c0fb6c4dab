import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { contactIdentities, messages } from "@/db/schema";
import { channelCounts, withDb } from "../support/db";
import { createTenant, unique } from "../support/fixtures";
import { call, onlyTicket } from "../support/http";
import { createChannel, fakeRequests, scriptFake } from "../support/provider";
import { postZapi, zapiMessageId, zapiReceivedPayload, zapiSecretOf, zapiStatusPayload } from "../support/zapi";

async function setup(options: { settings?: Record<string, unknown>; config?: Record<string, string> } = {}) {
  const tenant = await createTenant();
  const config = options.config ?? {
    instanceId: unique("3C67AB"),
    instanceToken: unique("tok"),
    clientToken: unique("ct"),
  };
  const channel = await createChannel(tenant.token, { type: "whatsapp_zapi", config, settings: options.settings });
  const secret = zapiSecretOf(channel.webhookUrls.webhook as string);
  return { tenant, channel, config, secret };
}

describe("Z-API webhook", () => {
  it("returns a webhook URL that carries the channel's secret", async () => {
    const { channel, secret } = await setup();
    expect(channel.webhookUrls.webhook).toBe(`http://localhost:8787/webhooks/zapi/${channel.id}/${secret}`);
    expect(secret.length).toBeGreaterThanOrEqual(24);
  });

  it("stores a text message as contact, ticket and message", async () => {
    const { tenant, channel, secret } = await setup();
    const payload = zapiReceivedPayload({ text: { message: "Olá, quero um orçamento" } });
    const res = await postZapi(channel.id, secret, payload);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ messages: 1, duplicates: 0 });
    const ticket = await onlyTicket(tenant.token, channel.id);
    expect(ticket).toMatchObject({
      status: "open",
      number: 1,
      contact: { phone: "+5511987654321", name: "Maria Cliente" },
      unreadCount: 1,
    });
    const msgs = await call(`/api/tickets/${ticket.id}/messages`, { token: tenant.token });
    expect(msgs.body.data[0]).toMatchObject({
      direction: "inbound",
      type: "text",
      text: "Olá, quero um orçamento",
      providerMessageId: payload.messageId,
      status: "received",
      createdAt: new Date(payload.momment).toISOString(),
    });
  });

  it("answers 404 to the webhook URL without its secret, storing nothing", async () => {
    const { channel } = await setup();
    const noSecret = await call(`/webhooks/zapi/${channel.id}`, { method: "POST", json: zapiReceivedPayload() });
    expect(noSecret.status).toBe(404);
    expect(await channelCounts(channel.id)).toEqual({ events: 0, tickets: 0, messages: 0 });
  });

  // How each content maps is in src/channels/zapi/adapter.test.ts; this is the one media case end to end.
  it("stores a voice note with Z-API's file URL, keeping its push-to-talk flag on the stored media", async () => {
    const { tenant, channel, secret } = await setup();
    const audio = {
      ptt: true,
      seconds: 10,
      audioUrl: "https://files.z-api.io/v.ogg",
      mimeType: "audio/ogg; codecs=opus",
    };
    const res = await postZapi(channel.id, secret, zapiReceivedPayload({ audio }));
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ messages: 1 });
    const ticket = await onlyTicket(tenant.token, channel.id);
    const msgs = await call(`/api/tickets/${ticket.id}/messages`, { token: tenant.token });
    expect(msgs.body.data[0]).toMatchObject({
      type: "audio",
      media: { url: "https://files.z-api.io/v.ogg", mimeType: "audio/ogg; codecs=opus" },
    });
    const [row] = await withDb((db) => db.select().from(messages).where(eq(messages.channelId, channel.id)));
    expect(row?.media).toMatchObject({ url: "https://files.z-api.io/v.ogg", voice: true });
  });

  it("ignores echoes of its own phone, groups and other callbacks, storing nothing", async () => {
    const { channel, secret } = await setup();
    for (const payload of [
      zapiReceivedPayload({ fromMe: true, text: { message: "enviada pelo celular" } }),
      zapiReceivedPayload({ fromMe: true, fromApi: true, text: { message: "enviada pela API" } }),
      zapiReceivedPayload({
        isGroup: true,
        phone: "120363019502650977-group",
        participantPhone: "5511987654321",
        chatName: "Grupo da família",
        text: { message: "no grupo" },
      }),
      zapiReceivedPayload({ isEdit: true, text: { message: "editada" } }),
      zapiReceivedPayload({ notification: "CALL_VOICE" }),
      zapiStatusPayload([zapiMessageId()], "READ_BY_ME"),
      { phone: "5511987654321", zaapId: "Z1", messageId: "M1", type: "DeliveryCallback", instanceId: "i" },
      { type: "PresenceChatCallback", phone: "5511987654321", status: "COMPOSING", lastSeen: null, instanceId: "i" },
      { momment: 1580163342, error: "Device has been disconnected", disconnected: true, type: "DisconnectedCallback" },
    ]) {
      const res = await postZapi(channel.id, secret, payload);
      expect(res.status, res.text).toBe(200);
      expect(res.body, JSON.stringify(payload)).toMatchObject({ messages: 0, statuses: 0, ignored: 1 });
    }
    expect(await channelCounts(channel.id)).toEqual({ events: 0, tickets: 0, messages: 0 });
  });

  it("keeps contents it does not map, or cannot read, as unsupported messages", async () => {
    const { tenant, channel, secret } = await setup();
    for (const [payload, providerType] of [
      [zapiReceivedPayload({ poll: { question: "Qual?", options: [{ name: "A" }] } }), "poll"],
      [zapiReceivedPayload({ image: { caption: "sem url", mimeType: "image/jpeg" } }), "image"],
    ] as const) {
      const res = await postZapi(channel.id, secret, payload);
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ messages: 1, ignored: 0 });
      const msgs = await call(`/api/tickets/${(await onlyTicket(tenant.token, channel.id)).id}/messages`, {
        token: tenant.token,
      });
      expect(msgs.body.data[0]).toMatchObject({ type: "unsupported", content: { providerType, raw: payload } });
    }
  });

  it("files a sender hidden behind a LID under the LID rather than dropping the message", async () => {
    const { tenant, channel, secret } = await setup();
    const res = await postZapi(
      channel.id,
      secret,
      zapiReceivedPayload({ phone: "81896604192873@lid", text: { message: "sem número" } }),
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ messages: 1, ignored: 0 });
    const ticket = await onlyTicket(tenant.token, channel.id);
    expect(ticket).toMatchObject({ contact: { phone: null, name: "Maria Cliente" } });
    const identities = await withDb((db) =>
      db.select().from(contactIdentities).where(eq(contactIdentities.contactId, ticket.contact.id)),
    );
    expect(identities).toMatchObject([{ kind: "zapi", externalId: "81896604192873@lid" }]);
  });

  it("stores fromMe and group messages when the channel's settings take them in", async () => {
    const { tenant, channel, secret } = await setup({ settings: { ignoreFromMe: false, ignoreGroups: false } });
    const fromMe = await postZapi(
      channel.id,
      secret,
      zapiReceivedPayload({ fromMe: true, senderName: "Loja", chatName: "Maria Cliente", text: { message: "eu" } }),
    );
    expect(fromMe.body).toMatchObject({ messages: 1 });
    const group = await postZapi(
      channel.id,
      secret,
      zapiReceivedPayload({
        isGroup: true,
        phone: "120363019502650977-group",
        participantPhone: "5511911112222",
        chatName: "Grupo da família",
        senderName: "João",
        text: { message: "no grupo" },
      }),
    );
    expect(group.body).toMatchObject({ messages: 1 });
    const list = await call(`/api/tickets?channelId=${channel.id}`, { token: tenant.token });
    expect(list.body.data.map((t: { contact: { name: string } }) => t.contact.name).sort()).toEqual([
      "Grupo da família",
      "Maria Cliente",
    ]);
    const identities = await withDb((db) =>
      db.select().from(contactIdentities).where(eq(contactIdentities.organizationId, tenant.organizationId)),
    );
    expect(identities).toMatchObject([{ kind: "zapi", externalId: "120363019502650977-group" }]);
  });

  it("sends a reply through Z-API and moves its status forward only", async () => {
    const { tenant, channel, config, secret } = await setup();
    await postZapi(channel.id, secret, zapiReceivedPayload({ text: { message: "oi" } }));
    const ticket = await onlyTicket(tenant.token, channel.id);
    const sent = await call(`/api/tickets/${ticket.id}/messages`, {
      token: tenant.token,
      json: { type: "text", text: "Olá! Como posso ajudar?" },
    });
    expect(sent.status, sent.text).toBe(202);

    const requests = await fakeRequests(`/zapi/instances/${config.instanceId}/`);
    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request?.method).toBe("POST");
    expect(request?.path).toBe(`/zapi/instances/${config.instanceId}/token/${config.instanceToken}/send-text`);
    expect(request?.headers["client-token"]).toBe(config.clientToken);
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(request?.body ?? "")).toEqual({ phone: "5511987654321", message: "Olá! Como posso ajudar?" });

    const [outbound] = await withDb((db) => db.select().from(messages).where(eq(messages.id, sent.body.id)));
    expect(outbound?.status).toBe("sent");
    const pid = outbound?.providerMessageId as string;
    expect(pid).toMatch(/^3EB0FAKE/);

    const status = (s: string) => postZapi(channel.id, secret, zapiStatusPayload([pid], s));
    expect((await status("RECEIVED")).body).toMatchObject({ statuses: 1 });
    await status("READ");
    await status("SENT");
    const after = await call(`/api/tickets/${ticket.id}/messages?limit=1`, { token: tenant.token });
    expect(after.body.data[0]).toMatchObject({ status: "read", providerMessageId: pid });
    expect(after.body.data[0].deliveredAt).not.toBeNull();
    expect(after.body.data[0].readAt).not.toBeNull();
    const again = await status("READ");
    expect(again.body).toMatchObject({ statuses: 0, duplicates: 1 });
  });

  it("applies one status callback to every message id it lists", async () => {
    const { tenant, channel, config, secret } = await setup();
    await postZapi(channel.id, secret, zapiReceivedPayload());
    const ticket = await onlyTicket(tenant.token, channel.id);
    const ids: string[] = [];
    for (const text of ["um", "dois"]) {
      const sent = await call(`/api/tickets/${ticket.id}/messages`, {
        token: tenant.token,
        json: { type: "text", text },
      });
      const [row] = await withDb((db) => db.select().from(messages).where(eq(messages.id, sent.body.id)));
      ids.push(row?.providerMessageId as string);
    }
    expect(await fakeRequests(`/zapi/instances/${config.instanceId}/`)).toHaveLength(2);
    const res = await postZapi(channel.id, secret, zapiStatusPayload(ids, "RECEIVED"));
    expect(res.body).toMatchObject({ statuses: 2 });
    const rows = await withDb((db) => db.select().from(messages).where(eq(messages.channelId, channel.id)));
    expect(rows.filter((r) => r.direction === "outbound").map((r) => r.status)).toEqual(["delivered", "delivered"]);
  });

  it("sends media to the endpoint of its kind", async () => {
    const { tenant, channel, config, secret } = await setup();
    await postZapi(channel.id, secret, zapiReceivedPayload());
    const ticket = await onlyTicket(tenant.token, channel.id);
    const media = [
      { mediaType: "image", mediaUrl: "https://cdn.example.com/p/foto.jpg", caption: "veja" },
      { mediaType: "audio", mediaUrl: "https://cdn.example.com/p/audio.ogg" },
      { mediaType: "video", mediaUrl: "https://cdn.example.com/p/video.mp4", caption: "vídeo" },
      { mediaType: "document", mediaUrl: "https://cdn.example.com/p/Nota%20Fiscal.PDF", caption: "nota" },
    ];
    for (const m of media) {
      const res = await call(`/api/tickets/${ticket.id}/messages`, {
        token: tenant.token,
        json: { type: "media", ...m },
      });
      expect(res.status, res.text).toBe(202);
    }
    const requests = await fakeRequests(`/zapi/instances/${config.instanceId}/`);
    const base = `/zapi/instances/${config.instanceId}/token/${config.instanceToken}`;
    expect(requests.map((r) => [r.path, JSON.parse(r.body)])).toEqual([
      [`${base}/send-image`, { phone: "5511987654321", image: media[0]?.mediaUrl, caption: "veja" }],
      [`${base}/send-audio`, { phone: "5511987654321", audio: media[1]?.mediaUrl }],
      [`${base}/send-video`, { phone: "5511987654321", video: media[2]?.mediaUrl, caption: "vídeo" }],
      [
        `${base}/send-document/pdf`,
        { phone: "5511987654321", document: media[3]?.mediaUrl, fileName: "Nota Fiscal.PDF", caption: "nota" },
      ],
    ]);
    expect(requests.every((r) => r.headers["client-token"] === config.clientToken)).toBe(true);
  });

  it("fails a template message without calling Z-API, and a message Z-API refuses", async () => {
    const { tenant, channel, config, secret } = await setup();
    await postZapi(channel.id, secret, zapiReceivedPayload());
    const ticket = await onlyTicket(tenant.token, channel.id);
    const template = await call(`/api/tickets/${ticket.id}/messages`, {
      token: tenant.token,
      json: { type: "template", template: { name: "boas_vindas", language: "pt_BR" } },
    });
    expect(template.status, template.text).toBe(202);
    let [row] = await withDb((db) => db.select().from(messages).where(eq(messages.id, template.body.id)));
    expect(row?.status).toBe("failed");
    expect(row?.error).toMatchObject({ code: "template_unsupported" });
    expect(await fakeRequests(`/zapi/instances/${config.instanceId}/`)).toHaveLength(0);

    await scriptFake(`/zapi/instances/${config.instanceId}/`, [
      { status: 400, body: { error: "You need to be connected to send a message" } },
    ]);
    const refused = await call(`/api/tickets/${ticket.id}/messages`, {
      token: tenant.token,
      json: { type: "text", text: "oi" },
    });
    [row] = await withDb((db) => db.select().from(messages).where(eq(messages.id, refused.body.id)));
    expect(row).toMatchObject({
      status: "failed",
      error: { code: "400", message: "You need to be connected to send a message" },
    });
  });

  it("simulates sends for a channel without credentials", async () => {
    const instanceId = unique("sim");
    const { tenant, channel, secret } = await setup({ config: { instanceId } });
    await postZapi(channel.id, secret, zapiReceivedPayload());
    const ticket = await onlyTicket(tenant.token, channel.id);
    const sent = await call(`/api/tickets/${ticket.id}/messages`, {
      token: tenant.token,
      json: { type: "text", text: "simulada" },
    });
    const [row] = await withDb((db) => db.select().from(messages).where(eq(messages.id, sent.body.id)));
    expect(row?.status).toBe("simulated");
    expect(await fakeRequests(`/zapi/instances/${instanceId}/`)).toHaveLength(0);
  });
});
