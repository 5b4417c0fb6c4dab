import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { tickets } from "@/db/schema";
import { withDb } from "../support/db";
import { call } from "../support/http";
import { fakeRequests } from "../support/provider";
import { conversation, messageRow } from "../support/scenario";

describe("POST /api/tickets/{id}/messages", () => {
  it("replays the first answer for a repeated Idempotency-Key and sends once", async () => {
    const { tenant, ticket, graphPrefix } = await conversation();
    const send = () =>
      call(`/api/tickets/${ticket.id}/messages`, {
        token: tenant.token,
        json: { type: "text", text: "uma vez só" },
        headers: { "idempotency-key": "agent-42-click-1" },
      });
    const [a, b, c] = await Promise.all([send(), send(), send()]);
    expect([a.status, b.status, c.status]).toEqual([202, 202, 202]);
    expect(new Set([a.body.id, b.body.id, c.body.id]).size).toBe(1);
    expect([a, b, c].filter((r) => r.headers.get("idempotent-replayed") === "true")).toHaveLength(2);
    expect(await fakeRequests(graphPrefix)).toHaveLength(1);
    const msgs = await call(`/api/tickets/${ticket.id}/messages?order=asc`, { token: tenant.token });
    expect(msgs.body.data.filter((m: { direction: string }) => m.direction === "outbound")).toHaveLength(1);
  });

  it("refuses the same Idempotency-Key with a different body (422)", async () => {
    const { tenant, ticket } = await conversation();
    const headers = { "idempotency-key": "k-1" };
    expect(
      (
        await call(`/api/tickets/${ticket.id}/messages`, {
          token: tenant.token,
          json: { type: "text", text: "a" },
          headers,
        })
      ).status,
    ).toBe(202);
    const other = await call(`/api/tickets/${ticket.id}/messages`, {
      token: tenant.token,
      json: { type: "text", text: "b" },
      headers,
    });
    expect(other.status, other.text).toBe(422);
  });

  it("allows only templates outside WhatsApp's 24-hour window", async () => {
    const { tenant, ticket, graphPrefix } = await conversation();
    await withDb((db) =>
      db
        .update(tickets)
        .set({ lastInboundAt: new Date(Date.now() - 25 * 3600_000) })
        .where(eq(tickets.id, ticket.id)),
    );
    const text = await call(`/api/tickets/${ticket.id}/messages`, {
      token: tenant.token,
      json: { type: "text", text: "oi de novo" },
    });
    expect(text.status).toBe(409);
    expect(text.body.detail).toContain("24-hour");
    const template = await call(`/api/tickets/${ticket.id}/messages`, {
      token: tenant.token,
      json: { type: "template", template: { name: "retomada_contato", language: "pt_BR", variables: ["Maria"] } },
    });
    expect(template.status, template.text).toBe(202);
    const [request] = await fakeRequests(graphPrefix);
    expect(JSON.parse(request?.body ?? "{}")).toMatchObject({
      type: "template",
      template: {
        name: "retomada_contato",
        language: { code: "pt_BR" },
        components: [{ type: "body", parameters: [{ type: "text", text: "Maria" }] }],
      },
    });
  });

  it("sends media with a caption", async () => {
    const { tenant, ticket, graphPrefix } = await conversation();
    const res = await call(`/api/tickets/${ticket.id}/messages`, {
      token: tenant.token,
      json: {
        type: "media",
        mediaUrl: "https://cdn.example.com/boleto.pdf",
        mediaType: "document",
        caption: "Seu boleto",
      },
    });
    expect(res.status, res.text).toBe(202);
    expect(res.body).toMatchObject({
      type: "document",
      media: { url: "https://cdn.example.com/boleto.pdf", caption: "Seu boleto" },
    });
    const [request] = await fakeRequests(graphPrefix);
    expect(JSON.parse(request?.body ?? "{}")).toMatchObject({
      type: "document",
      document: { link: "https://cdn.example.com/boleto.pdf", caption: "Seu boleto" },
    });
  });

  it("simulates sends in sandbox mode and without credentials, never dropping them", async () => {
    const sandbox = await conversation({ env: { SANDBOX: "true" } });
    const res = await call(`/api/tickets/${sandbox.ticket.id}/messages`, {
      env: { SANDBOX: "true" },
      token: sandbox.tenant.token,
      json: { type: "text", text: "teste" },
    });
    expect(res.status).toBe(202);
    expect((await messageRow(res.body.id))?.status).toBe("simulated");
    expect(await fakeRequests(sandbox.graphPrefix)).toHaveLength(0);

    const noCreds = await conversation();
    const patched = await call(`/api/channels/${noCreds.channel.id}`, {
      method: "PATCH",
      token: noCreds.tenant.token,
      json: { config: { accessToken: "" } },
    });
    expect(patched.body.configured).toMatchObject({ accessToken: false, appSecret: true });
    const r2 = await call(`/api/tickets/${noCreds.ticket.id}/messages`, {
      token: noCreds.tenant.token,
      json: { type: "text", text: "sem token" },
    });
    expect((await messageRow(r2.body.id))?.status).toBe("simulated");
    expect(await fakeRequests(noCreds.graphPrefix)).toHaveLength(0);
  });

  it("refuses closed tickets, inactive channels and bad bodies", async () => {
    const { tenant, ticket, channel } = await conversation();
    expect(
      (await call(`/api/tickets/${ticket.id}/messages`, { token: tenant.token, json: { type: "text", text: "" } }))
        .status,
    ).toBe(400);
    expect(
      (
        await call(`/api/tickets/${ticket.id}/messages`, {
          token: tenant.token,
          json: { type: "media", mediaUrl: "ftp://x", mediaType: "image" },
        })
      ).status,
    ).toBe(400);
    await call(`/api/channels/${channel.id}`, { method: "PATCH", token: tenant.token, json: { active: false } });
    expect(
      (await call(`/api/tickets/${ticket.id}/messages`, { token: tenant.token, json: { type: "text", text: "x" } }))
        .status,
    ).toBe(409);
    await call(`/api/channels/${channel.id}`, { method: "PATCH", token: tenant.token, json: { active: true } });
    await call(`/api/tickets/${ticket.id}/close`, { method: "POST", token: tenant.token });
    const closed = await call(`/api/tickets/${ticket.id}/messages`, {
      token: tenant.token,
      json: { type: "text", text: "x" },
    });
    expect(closed.status).toBe(409);
  });

  it("records the first response time once", async () => {
    const { tenant, ticket } = await conversation();
    await call(`/api/tickets/${ticket.id}/messages`, { token: tenant.token, json: { type: "text", text: "1" } });
    const first = (await call(`/api/tickets/${ticket.id}`, { token: tenant.token })).body;
    await call(`/api/tickets/${ticket.id}/messages`, { token: tenant.token, json: { type: "text", text: "2" } });
    const second = (await call(`/api/tickets/${ticket.id}`, { token: tenant.token })).body;
    expect(first.firstResponseAt).not.toBeNull();
    expect(second.firstResponseAt).toBe(first.firstResponseAt);
    expect(second.history.filter((h: { action: string }) => h.action === "first_response")).toHaveLength(1);
    expect(second.unreadCount).toBe(0);
  });
});
