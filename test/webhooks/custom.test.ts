// Custom inbound webhooks: an organization's named hooks, each with a signing secret shown once
// and sealed at rest; bodies signed `X-Switchboard-Signature: t=<unix>,v1=<HMAC of "t.body">` are
// stored once per idempotency key as interaction events and sent on the events webhook.
import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { contacts, customWebhooks, interactionEvents } from "@/db/schema";
import { customHook, signCustom } from "../support/custom-webhooks";
import { withDb } from "../support/db";
import { createMember, createTenant } from "../support/fixtures";
import { call } from "../support/http";
import { eventsWebhookOnFake, fakeRequests, hmacHex } from "../support/provider";

async function setup(name = "CRM") {
  const tenant = await createTenant();
  return { tenant, ...(await customHook(tenant, name)) };
}

const storedEvents = (organizationId: string) =>
  withDb((db) =>
    db
      .select()
      .from(interactionEvents)
      .where(and(eq(interactionEvents.organizationId, organizationId), eq(interactionEvents.provider, "custom")))
      .orderBy(interactionEvents.id),
  );

describe("custom webhooks", () => {
  it("creates a hook with its URL and a secret shown once and sealed at rest", async () => {
    const { tenant, hook } = await setup("Dialer");
    expect(hook).toMatchObject({
      name: "Dialer",
      url: `http://localhost:8787/webhooks/custom/${tenant.organizationId}/${hook.id}`,
      secret: expect.stringMatching(/^whsec_[\w-]{40,}$/),
      lastReceivedAt: null,
    });
    const list = await call("/api/custom-webhooks", { token: tenant.token });
    expect(list.status, list.text).toBe(200);
    expect(list.body.data).toEqual([expect.objectContaining({ id: hook.id, name: "Dialer", url: hook.url })]);
    expect(list.text).not.toContain(hook.secret);
    const [row] = await withDb((db) => db.select().from(customWebhooks).where(eq(customWebhooks.id, hook.id)));
    expect(row?.secret).not.toContain(hook.secret);
    // Sealed with the current key, which the ciphertext names (v2.<kid>.), like every sealed value.
    expect(row?.secret, row?.secret).toMatch(/^v2\.[0-9a-f]{8}\./);
    const again = await call("/api/custom-webhooks", { token: tenant.token, json: { name: "Dialer" } });
    expect(again.status, again.text).toBe(409);
  });

  it("stores a signed body as an interaction event and sends custom.received on the events webhook", async () => {
    const { tenant, hook, post } = await setup();
    const { path: eventsPath, secret } = await eventsWebhookOnFake(tenant.token, "custom");
    const payload = { id: "deal-981", event: "deal.won", data: { phone: "+5511987654321", value: 1250 } };
    const res = await post(payload);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ status: "stored", id: expect.any(String) });
    const [stored] = await storedEvents(tenant.organizationId);
    expect(stored).toMatchObject({
      id: res.body.id,
      eventType: "custom.received",
      idempotencyKey: `${hook.id}:deal-981`,
      payload,
      normalized: { hookId: hook.id, hookName: "CRM", idempotencyKey: "deal-981", event: "deal.won" },
      reference: hook.id,
    });
    const [delivered] = await fakeRequests(eventsPath);
    expect(JSON.parse(delivered?.body ?? "{}")).toMatchObject({
      type: "custom.received",
      data: { hookId: hook.id, hookName: "CRM", eventId: res.body.id, idempotencyKey: "deal-981", payload },
    });
    const [t, v1] = (delivered?.headers["x-switchboard-signature"] ?? "").split(",").map((p) => p.split("=")[1]);
    expect(v1).toBe(await hmacHex(secret, `${t}.${eventsPath}.${delivered?.body}`));
    const list = await call("/api/custom-webhooks", { token: tenant.token });
    expect(list.body.data[0].lastReceivedAt).not.toBeNull();
  });

  it("stores a redelivery once, by Idempotency-Key, by the body's id, or by an identical body", async () => {
    const { tenant, post } = await setup();
    const byHeader = { headers: { "idempotency-key": "evt-1" } };
    const first = await post({ note: "first" }, byHeader);
    const replay = await post({ note: "first, sent again with a new timestamp" }, byHeader);
    expect(replay.status, replay.text).toBe(200);
    expect(replay.body).toEqual({ status: "duplicate", id: first.body.id });

    const byId = await post({ id: 42, event: "call.logged" });
    expect((await post({ id: 42, event: "call.logged", retry: 1 })).body).toEqual({
      status: "duplicate",
      id: byId.body.id,
    });

    const plain = await post({ event: "ping" });
    expect((await post({ event: "ping" })).body).toEqual({ status: "duplicate", id: plain.body.id });
    expect((await post({ event: "pong" })).body.status).toBe("stored");

    const stored = await storedEvents(tenant.organizationId);
    expect(stored).toHaveLength(4);
    expect(stored[0]?.payload).toEqual({ note: "first" });
  });

  it("stores five concurrent deliveries of one event once", async () => {
    const { tenant, post } = await setup();
    const answers = await Promise.all(Array.from({ length: 5 }, () => post({ id: "burst-1", event: "x" })));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers.map((a) => a.body.status).sort()).toEqual([
      "duplicate",
      "duplicate",
      "duplicate",
      "duplicate",
      "stored",
    ]);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(await storedEvents(tenant.organizationId)).toHaveLength(1);
  });

  it("keeps two hooks' events apart even when their ids are equal, and an older redelivery after newer ones is still a duplicate", async () => {
    const a = await setup("CRM");
    const other = await call("/api/custom-webhooks", { token: a.tenant.token, json: { name: "Dialer" } });
    const dialerPath = new URL(other.body.url).pathname;
    const body = JSON.stringify({ id: "1", event: "lead.created" });
    expect((await a.post(body)).body.status).toBe("stored");
    const viaDialer = await call(dialerPath, {
      method: "POST",
      body,
      headers: { "x-switchboard-signature": await signCustom(other.body.secret, body) },
    });
    expect(viaDialer.body.status, viaDialer.text).toBe("stored");
    expect((await a.post({ id: "2" })).body.status).toBe("stored");
    expect((await a.post({ id: "1", event: "lead.created" })).body.status).toBe("duplicate");
    expect(await storedEvents(a.tenant.organizationId)).toHaveLength(3);
  });

  it.each([
    ["another secret", { secret: "whsec_not_this_one" }],
    ["no signature", { signature: null }],
    ["a signature from 6 minutes ago", { signedAt: Date.now() - 6 * 60_000 }],
    ["a signature without its timestamp", { signature: "v1=0123456789abcdef" }],
    ["the outgoing scheme's v0 name", { signature: "t=1,v0=00" }],
  ])("refuses %s with 401 and stores nothing", async (_, options) => {
    const { tenant, post } = await setup();
    const res = await post({ id: "x1" }, options);
    expect(res.status, res.text).toBe(401);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(await storedEvents(tenant.organizationId)).toHaveLength(0);
  });

  it("refuses a body changed after signing with 401", async () => {
    const { tenant, hook, path } = await setup();
    const body = JSON.stringify({ id: "x2", value: 1 });
    const res = await call(path, {
      method: "POST",
      body: body.replace("1}", "9}"),
      headers: { "x-switchboard-signature": await signCustom(hook.secret, body) },
    });
    expect(res.status, res.text).toBe(401);
    expect(await storedEvents(tenant.organizationId)).toHaveLength(0);
  });

  it.each([
    ["a body that is not JSON", "id=1&event=x"],
    ["a JSON array", "[1,2,3]"],
    ["a JSON string", '"hello"'],
  ])("answers %s with 400 problem+json and stores nothing", async (_, body) => {
    const { tenant, post } = await setup();
    const res = await post(body);
    expect(res.status, res.text).toBe(400);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(await storedEvents(tenant.organizationId)).toHaveLength(0);
  });

  it("answers 404 for an unknown hook, another organization's id in the path, or ids that are not uuids", async () => {
    const { hook, tenant } = await setup();
    const other = await createTenant();
    const body = JSON.stringify({ id: "y" });
    const signature = await signCustom(hook.secret, body);
    for (const path of [
      `/webhooks/custom/${tenant.organizationId}/${crypto.randomUUID()}`,
      `/webhooks/custom/${other.organizationId}/${hook.id}`,
      `/webhooks/custom/demo-org-id/${hook.id}`,
    ]) {
      const res = await call(path, { method: "POST", body, headers: { "x-switchboard-signature": signature } });
      expect(res.status, `${path}: ${res.text}`).toBe(404);
    }
  });

  it("rotates the secret (the old one stops at once) and deletes the hook (then 404)", async () => {
    const { tenant, hook, post } = await setup();
    const rotated = await call(`/api/custom-webhooks/${hook.id}/rotate`, { method: "POST", token: tenant.token });
    expect(rotated.status, rotated.text).toBe(200);
    expect(rotated.body.secret).not.toBe(hook.secret);
    expect(rotated.body.rotatedAt).not.toBeNull();
    expect((await post({ id: "r1" })).status).toBe(401);
    expect((await post({ id: "r1" }, { secret: rotated.body.secret })).status).toBe(200);
    const removed = await call(`/api/custom-webhooks/${hook.id}`, { method: "DELETE", token: tenant.token });
    expect(removed.status, removed.text).toBe(204);
    expect((await post({ id: "r2" }, { secret: rotated.body.secret })).status).toBe(404);
    // What it received stays.
    expect(await storedEvents(tenant.organizationId)).toHaveLength(1);
  });

  it("keeps hooks to their organization and their management to admins", async () => {
    const { tenant, hook } = await setup();
    const other = await createTenant();
    for (const [method, path] of [
      ["DELETE", `/api/custom-webhooks/${hook.id}`],
      ["POST", `/api/custom-webhooks/${hook.id}/rotate`],
    ] as const) {
      const res = await call(path, { method, token: other.token });
      expect(res.status, `${method} ${path}: ${res.text}`).toBe(404);
    }
    expect((await call("/api/custom-webhooks", { token: other.token })).body.data).toEqual([]);
    const agent = await createMember(tenant, "agent");
    const denied = await call("/api/custom-webhooks", { token: agent.token, json: { name: "x" } });
    expect(denied.status, denied.text).toBe(403);
    const count = await withDb(async (db) => {
      const [row] = await db
        .select({ n: sql<number>`count(*)::int` })
        .from(customWebhooks)
        .where(eq(customWebhooks.organizationId, tenant.organizationId));
      return row?.n;
    });
    expect(count).toBe(1);
  });
});

describe("custom webhook events about a contact", () => {
  const contactsWithPhone = (organizationId: string, phone: string) =>
    withDb((db) =>
      db
        .select()
        .from(contacts)
        .where(and(eq(contacts.organizationId, organizationId), eq(contacts.phone, phone))),
    );

  it("links an event to the contact its phone names, in any common format, creating that contact once", async () => {
    const { tenant, post } = await setup();
    const { path: eventsPath } = await eventsWebhookOnFake(tenant.token, "custom");
    const bodies = [
      { id: "a", event: "deal.won", phone: "+55 11 98765-4321" },
      // Without +55, and without the ninth digit: the same mobile.
      { id: "b", event: "deal.lost", contact: { phone: "(11) 8765-4321", name: "Maria" } },
      { id: "c", type: "call.logged", phone: 5511987654321 },
    ];
    for (const body of bodies) {
      const res = await post(body);
      expect(res.body.status, res.text).toBe("stored");
    }
    const people = await contactsWithPhone(tenant.organizationId, "+5511987654321");
    expect(people).toHaveLength(1);
    const stored = await storedEvents(tenant.organizationId);
    expect(stored.map((e) => e.contactId)).toEqual([people[0]?.id, people[0]?.id, people[0]?.id]);
    const delivered = (await fakeRequests(eventsPath)).map((r) => JSON.parse(r.body));
    expect(delivered.map((d) => d.data.contactId)).toEqual([people[0]?.id, people[0]?.id, people[0]?.id]);

    // The contact found is the one messages and calls of that number already have.
    const other = await setup();
    const existing = await call("/api/contacts", { token: other.tenant.token, json: { phone: "+5511912345678" } });
    expect(existing.status, existing.text).toBe(201);
    expect((await other.post({ id: "x", phone: "11912345678" })).body.status).toBe("stored");
    const [linked] = await storedEvents(other.tenant.organizationId);
    expect(linked?.contactId).toBe(existing.body.id);
  });

  it("makes one contact of five simultaneous events about a number never seen", async () => {
    const { tenant, post } = await setup();
    const answers = await Promise.all(
      ["+5511988881111", "11988881111", "(11) 8888-1111", "5511988881111", "+55 11 98888-1111"].map((phone, i) =>
        post({ id: `burst-${i}`, event: "lead.created", phone }),
      ),
    );
    expect(answers.map((a) => a.body.status)).toEqual(["stored", "stored", "stored", "stored", "stored"]);
    const people = await contactsWithPhone(tenant.organizationId, "+5511988881111");
    expect(people).toHaveLength(1);
    expect(new Set((await storedEvents(tenant.organizationId)).map((e) => e.contactId))).toEqual(
      new Set([people[0]?.id]),
    );
  });

  it("links by the organization's contactId (a merged one leads to where it was merged), never another organization's", async () => {
    const { tenant, post } = await setup();
    const mine = await call("/api/contacts", { token: tenant.token, json: { name: "Ana", phone: "+5511955551111" } });
    const duplicate = await call("/api/contacts", { token: tenant.token, json: { name: "Ana (CRM)" } });
    const merged = await call(`/api/contacts/${mine.body.id}/merge`, {
      token: tenant.token,
      json: { duplicateId: duplicate.body.id },
    });
    expect(merged.status, merged.text).toBe(200);
    const stranger = await createTenant();
    const theirs = await call("/api/contacts", {
      token: stranger.token,
      json: { name: "Not yours", phone: "+5511955552222" },
    });
    expect(theirs.status, theirs.text).toBe(201);

    await post({ id: "1", contactId: mine.body.id });
    await post({ id: "2", contactId: duplicate.body.id.toUpperCase() });
    await post({ id: "3", contactId: theirs.body.id });
    await post({ id: "4", contactId: crypto.randomUUID() });
    await post({ id: "5", contactId: "not-a-uuid" });
    // An id that is not the organization's is ignored; the phone next to it still links.
    await post({ id: "6", contactId: theirs.body.id, phone: "+5511955553333" });

    const stored = await storedEvents(tenant.organizationId);
    const [byPhone] = await contactsWithPhone(tenant.organizationId, "+5511955553333");
    expect(stored.map((e) => e.contactId)).toEqual([mine.body.id, mine.body.id, null, null, null, byPhone?.id]);
    expect(byPhone?.id).not.toBe(theirs.body.id);
    expect(await contactsWithPhone(stranger.organizationId, "+5511955553333")).toEqual([]);
  });

  it("links nothing new on a duplicate delivery, and nothing for a body that names no usable contact", async () => {
    const { tenant, post } = await setup();
    expect((await post({ id: "d1", phone: "+5511966661111" })).body.status).toBe("stored");
    const replay = await post({ id: "d1", phone: "+5511966662222" });
    expect(replay.body.status, replay.text).toBe("duplicate");
    expect(await contactsWithPhone(tenant.organizationId, "+5511966662222")).toEqual([]);
    for (const body of [{ id: "n1" }, { id: "n2", phone: "12" }, { id: "n3", contact: "5511966663333" }]) {
      expect((await post(body)).body.status).toBe("stored");
    }
    expect((await storedEvents(tenant.organizationId)).map((e) => e.contactId === null)).toEqual([
      false,
      true,
      true,
      true,
    ]);
  });

  it("moves a contact's events along when it is merged into another", async () => {
    const { tenant, post } = await setup();
    const primary = await call("/api/contacts", { token: tenant.token, json: { name: "Primary" } });
    await post({ id: "m1", phone: "+5511977771111" });
    const [event] = await storedEvents(tenant.organizationId);
    const merged = await call(`/api/contacts/${primary.body.id}/merge`, {
      token: tenant.token,
      json: { duplicateId: event?.contactId },
    });
    expect(merged.status, merged.text).toBe(200);
    expect(merged.body.moved.events).toBe(1);
    expect((await storedEvents(tenant.organizationId))[0]?.contactId).toBe(primary.body.id);
  });
});
