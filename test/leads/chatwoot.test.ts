// The Chatwoot mirror through the real entry points: a Meta webhook in, an agent's reply out,
// and the crm.chatwoot.sync job posting contact, conversation and messages to the Chatwoot fake.
import { describe, expect, it } from "vitest";
import { call, runScheduled } from "../support/http";
import { metaMessagePayload, postMeta } from "../support/meta";
import { fakeRequests, scriptFake } from "../support/provider";
import { conversation } from "../support/scenario";
import { connectChatwoot, jobsNamed, rerun } from "./support";

const posts = async (prefix: string) =>
  (await fakeRequests(prefix))
    .filter((r) => r.method === "POST")
    .map((r) => ({ path: r.path.slice(prefix.length), body: JSON.parse(r.body), token: r.headers.api_access_token }));

describe("Chatwoot mirror", () => {
  it("mirrors the contact, the conversation and every message in order, each once", async () => {
    const { tenant } = await conversation();
    const chatwoot = await connectChatwoot(tenant.token);
    const test = await call("/api/integrations/chatwoot/test", { method: "POST", token: tenant.token });
    expect(test.body, test.text).toMatchObject({ ok: true });

    // A conversation that starts once the mirror is on.
    const { channel, config, phoneNumberId, ticket } = await conversationOf(tenant);
    const reply = await call(`/api/tickets/${ticket.id}/messages`, {
      token: tenant.token,
      json: { type: "text", text: "Olá Maria, em que posso ajudar?" },
    });
    expect(reply.status, reply.text).toBe(202);
    await postMeta(
      channel.id,
      config.appSecret,
      metaMessagePayload(phoneNumberId, { type: "text", text: { body: "Quero um orçamento" } }),
    );

    const sent = await posts(chatwoot.prefix);
    expect(sent.map((p) => p.path.replace(/\d+/g, "N"))).toEqual([
      "/contacts",
      "/conversations",
      "/conversations/N/messages",
      "/conversations/N/messages",
      "/conversations/N/messages",
    ]);
    expect(sent.every((p) => p.token === "cw-token")).toBe(true);
    expect(sent[0]?.body).toMatchObject({ inbox_id: 1, name: "Maria Cliente", phone_number: "+5511987654321" });
    expect(sent[1]?.body).toMatchObject({ inbox_id: 1, source_id: expect.stringMatching(/^src-/) });
    expect(sent.slice(2).map((p) => [p.body.message_type, p.body.content])).toEqual([
      ["incoming", "Oi!"],
      ["outgoing", "Olá Maria, em que posso ajudar?"],
      ["incoming", "Quero um orçamento"],
    ]);

    // Redelivered sync jobs find everything mirrored and post nothing.
    for (const job of await jobsNamed(tenant.organizationId, "crm.chatwoot.sync")) await rerun(job.id);
    await runScheduled();
    expect(await posts(chatwoot.prefix)).toHaveLength(5);
    expect((await jobsNamed(tenant.organizationId, "crm.chatwoot.sync")).every((j) => j.status === "done")).toBe(true);
  });

  it("retries a Chatwoot 5xx through the job without creating anything twice", async () => {
    const { tenant } = await conversation();
    const chatwoot = await connectChatwoot(tenant.token);
    await scriptFake(`${chatwoot.prefix}/conversations`, [
      { status: 502, headers: { "retry-after": "0" } },
      { status: 502, headers: { "retry-after": "0" } },
      { status: 502, headers: { "retry-after": "0" } },
    ]);
    const { channel, config, phoneNumberId, ticket } = await conversationOf(tenant);
    const [job] = await jobsNamed(tenant.organizationId, "crm.chatwoot.sync");
    expect([job?.status, job?.lastError]).toEqual(["failed", expect.stringContaining("Chatwoot")]);
    // The customer's conversation went on regardless.
    expect((await call(`/api/tickets/${ticket.id}/messages`, { token: tenant.token })).body.data).toHaveLength(1);

    await rerun(job?.id ?? "");
    await runScheduled();
    await postMeta(
      channel.id,
      config.appSecret,
      metaMessagePayload(phoneNumberId, { type: "text", text: { body: "Oi de novo" } }),
    );
    const sent = await posts(chatwoot.prefix);
    expect(sent.map((p) => p.path.replace(/\d+/g, "N"))).toEqual([
      "/contacts",
      "/conversations",
      "/conversations",
      "/conversations",
      "/conversations",
      "/conversations/N/messages",
      "/conversations/N/messages",
    ]);
    expect(sent.slice(5).map((p) => p.body.content)).toEqual(["Oi!", "Oi de novo"]);
    expect((await jobsNamed(tenant.organizationId, "crm.chatwoot.sync")).map((j) => j.status)).toEqual([
      "done",
      "done",
    ]);
  });

  it("/test reports a refused token, and nothing is mirrored without the integration", async () => {
    const { tenant } = await conversation();
    await connectChatwoot(tenant.token, "bad-token");
    const test = await call("/api/integrations/chatwoot/test", { method: "POST", token: tenant.token });
    expect(test.body, test.text).toMatchObject({ ok: false, error: expect.any(String) });
    expect((await call("/api/integrations", { token: tenant.token })).text).not.toContain("bad-token");
    expect((await call("/api/integrations/chatwoot", { method: "DELETE", token: tenant.token })).status).toBe(204);
    const before = (await jobsNamed(tenant.organizationId, "crm.chatwoot.sync")).length;
    await conversationOf(tenant);
    expect(await jobsNamed(tenant.organizationId, "crm.chatwoot.sync")).toHaveLength(before);
  });
});

/** A second channel of the tenant with a customer's first message on it. */
async function conversationOf(tenant: { token: string }) {
  const { createChannel } = await import("../support/provider");
  const { unique } = await import("../support/fixtures");
  const phoneNumberId = unique("pn");
  const config = { phoneNumberId, accessToken: "EAAG-test", appSecret: unique("secret"), verifyToken: "v" };
  const channel = await createChannel(tenant.token, { type: "whatsapp_meta", config });
  const inbound = await postMeta(
    channel.id,
    config.appSecret,
    metaMessagePayload(phoneNumberId, { type: "text", text: { body: "Oi!" }, from: "5511987654321" }),
  );
  expect(inbound.status, inbound.text).toBe(200);
  const list = await call(`/api/tickets?channelId=${channel.id}`, { token: tenant.token });
  return { channel, config, phoneNumberId, ticket: list.body.data[0] as { id: string } };
}
