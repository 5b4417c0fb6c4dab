// Rotating ENCRYPTION_KEY and JWT_SECRET without downtime: seal and sign with key A; list key B
// first and everything still reads and verifies; re-encrypt rewrites every sealed value to B; then
// with A removed everything still reads (and only A's tokens stop working).
import { eq, sql } from "drizzle-orm";
import { sign } from "hono/jwt";
import { describe, expect, inject, it } from "vitest";
import { forgetAllChannels } from "@/channels/cache";
import { channels } from "@/db/schema";
import { reseal } from "@/keys/reseal";
import { decryptSecret, keyId, toBase64 } from "@/platform/crypto";
import { auditEntries } from "../audit/support";
import { withDb } from "../support/db";
import { TEST_SECRETS } from "../support/env";
import { createTenant, PASSWORD, unique } from "../support/fixtures";
import { call } from "../support/http";
import { metaMessagePayload, postMeta } from "../support/meta";
import { createChannel, eventsWebhookOnFake, fakeRequests, hmacHex } from "../support/provider";

const A = TEST_SECRETS.ENCRYPTION_KEY;
const JWT_A = TEST_SECRETS.JWT_SECRET;
const newKey = () => toBase64(crypto.getRandomValues(new Uint8Array(32)));
const newJwtSecret = () => toBase64(crypto.getRandomValues(new Uint8Array(36)));

/** Every sealed value of an organization, as stored. */
const sealedOf = (organizationId: string) =>
  withDb(async (db) => {
    const { rows } = await db.execute<{ value: string }>(sql`
      select credentials as value from channels where organization_id = ${organizationId}
      union all select webhook_secret from channels where organization_id = ${organizationId}
      union all select secrets from integrations where organization_id = ${organizationId} and secrets is not null
      union all select settings #>> '{eventsWebhook,secret}' from organizations
        where id = ${organizationId} and settings ? 'eventsWebhook'
      union all select secret from custom_webhooks where organization_id = ${organizationId}`);
    return rows.map((r) => r.value);
  });

const headerOf = (token: string) => JSON.parse(atob(token.split(".")[0]?.replace(/-/g, "+").replace(/_/g, "/") ?? ""));

/** An organization with one of each sealed value, all under key A, and tokens signed with JWT A. */
async function sealedWithA() {
  const tenant = await createTenant();
  const meta = () => ({
    phoneNumberId: unique("pn"),
    accessToken: unique("EAAG"),
    appSecret: unique("app"),
    verifyToken: "v",
  });
  const current = meta();
  const channel = await createChannel(tenant.token, { type: "whatsapp_meta", config: current });
  const legacyConfig = meta();
  const legacy = await createChannel(tenant.token, { type: "whatsapp_meta", config: legacyConfig });
  // Sealed before values named their key: the same AES-GCM, written as v1.<iv>.<ct>.
  await withDb((db) =>
    db
      .update(channels)
      .set({
        credentials: sql`'v1.' || split_part(${channels.credentials}, '.', 3) || '.' || split_part(${channels.credentials}, '.', 4)`,
      })
      .where(eq(channels.id, legacy.id)),
  );
  await eventsWebhookOnFake(tenant.token, "rot");
  const slackPath = `/slack/${unique("rot")}/services/T/B/secret`;
  const slack = await call("/api/integrations/slack", {
    method: "PUT",
    token: tenant.token,
    json: { webhookUrl: `${inject("fakesUrl")}${slackPath}` },
  });
  expect(slack.status, slack.text).toBe(200);
  const custom = await call("/api/custom-webhooks", { token: tenant.token, json: { name: "CRM" } });
  expect(custom.status, custom.text).toBe(201);
  const customHook = custom.body as { url: string; secret: string };
  // A token minted before tokens named their key: no kid in its header.
  const now = Math.floor(Date.now() / 1000);
  const legacyToken = await sign(
    { sub: tenant.userId, org: tenant.organizationId, role: "admin", iss: "switchboard", iat: now, exp: now + 3600 },
    JWT_A,
  );
  return {
    tenant,
    legacyToken,
    slackPath,
    customHook,
    channels: [
      { id: channel.id, config: current },
      { id: legacy.id, config: legacyConfig },
    ],
  };
}

/** Proof that everything sealed reads with `env`: webhooks verify, channels and settings open, Slack posts. */
async function everythingReads(
  world: Awaited<ReturnType<typeof sealedWithA>>,
  env: Record<string, string>,
  token = world.tenant.token,
) {
  // The per-isolate cache would answer with credentials opened earlier: open them again.
  forgetAllChannels();
  for (const channel of world.channels) {
    const read = await call(`/api/channels/${channel.id}`, { token, env });
    expect(read.status, read.text).toBe(200);
    const payload = metaMessagePayload(channel.config.phoneNumberId, { type: "text", text: { body: unique("oi ") } });
    const webhook = await postMeta(channel.id, channel.config.appSecret, payload, { env });
    expect(webhook.status, webhook.text).toBe(200);
    expect(webhook.body).toMatchObject({ messages: 1 });
  }
  const organization = await call("/api/organization", { token, env });
  expect(organization.body.eventsWebhook?.url, organization.text).toMatch(/\/events\//);
  const before = (await fakeRequests(world.slackPath)).length;
  const slack = await call("/api/integrations/slack/test", { method: "POST", token, env });
  expect(slack.body, slack.text).toMatchObject({ ok: true });
  expect(await fakeRequests(world.slackPath)).toHaveLength(before + 1);
  // The custom inbound hook still verifies signatures with its (re-)sealed secret.
  const body = JSON.stringify({ id: unique("evt"), event: "rotation.check" });
  const t = Math.floor(Date.now() / 1000);
  const custom = await call(new URL(world.customHook.url).pathname, {
    method: "POST",
    body,
    env,
    headers: {
      "content-type": "application/json",
      "x-switchboard-signature": `t=${t},v1=${await hmacHex(world.customHook.secret, `${t}.${body}`)}`,
    },
  });
  expect(custom.status, custom.text).toBe(200);
}

describe("key rotation", () => {
  it("reads everything with B listed first, re-encrypts it all to B, then reads it without A", async () => {
    const world = await sealedWithA();
    const { tenant, legacyToken } = world;
    const B = newKey();
    const JWT_B = newJwtSecret();
    const [kidA, kidB, jwtKidA, jwtKidB] = await Promise.all([keyId(A), keyId(B), keyId(JWT_A), keyId(JWT_B)]);
    const sealed = await sealedOf(tenant.organizationId);
    expect(sealed).toHaveLength(7);
    expect(sealed.filter((v) => v.startsWith(`v2.${kidA}.`))).toHaveLength(6);
    expect(sealed.filter((v) => v.startsWith("v1."))).toHaveLength(1);
    for (const value of sealed) await expect(decryptSecret(B, value, "any")).rejects.toThrow();
    expect(headerOf(tenant.token)).toMatchObject({ alg: "HS256", kid: jwtKidA });

    // 1. B first, A still listed: nothing stops working, and whatever is sealed or signed now uses B.
    const both = { ENCRYPTION_KEY: `${B},${A}`, JWT_SECRET: `${JWT_B},${JWT_A}` };
    await everythingReads(world, both);
    for (const token of [tenant.token, legacyToken]) {
      const me = await call("/api/auth/me", { token, env: both });
      expect(me.status, me.text).toBe(200);
    }
    const login = await call("/api/auth/login", { json: { email: tenant.email, password: PASSWORD }, env: both });
    expect(login.status, login.text).toBe(200);
    expect(headerOf(login.body.token)).toMatchObject({ kid: jwtKidB });
    const status = await call("/api/admin/keys", { token: tenant.token, env: both });
    expect(status.body).toMatchObject({
      encryptionKey: { current: kidB, configured: [kidB, kidA] },
      jwtSecret: { current: jwtKidB, configured: [jwtKidB, jwtKidA] },
      pending: 7,
    });
    expect(status.text).not.toContain(B);
    expect(status.text).not.toContain(A);

    // 2. Re-encryption: a durable job that rewrites every sealed value with B, audited.
    const run = await call("/api/admin/reencrypt", { method: "POST", token: tenant.token, env: both });
    expect(run.status, run.text).toBe(202);
    expect(run.body).toMatchObject({ keyId: kidB, pending: 7, jobId: expect.any(String) });
    const after = await sealedOf(tenant.organizationId);
    expect(
      after.every((v) => v.startsWith(`v2.${kidB}.`)),
      after.join("\n"),
    ).toBe(true);
    expect((await call("/api/admin/keys", { token: tenant.token, env: both })).body.pending).toBe(0);
    const [requested] = await auditEntries(tenant.token, { action: "keys.reencrypt_requested" });
    expect(requested).toMatchObject({ actor: { type: "user", id: tenant.userId }, metadata: { pending: 7 } });
    const [done] = await auditEntries(tenant.token, { action: "keys.reencrypted" });
    expect(done).toMatchObject({
      actor: { type: "system" },
      metadata: { runId: run.body.runId, keyId: kidB, resealed: 7, failed: 0 },
    });

    // Again: nothing left to do, nothing rewritten.
    const again = await call("/api/admin/reencrypt", { method: "POST", token: tenant.token, env: both });
    expect(again.body.pending).toBe(0);
    expect(await sealedOf(tenant.organizationId)).toEqual(after);

    // 3. A removed: everything still reads; tokens signed with A no longer verify, B's do.
    const onlyB = { ENCRYPTION_KEY: B, JWT_SECRET: JWT_B };
    await everythingReads(world, onlyB, login.body.token);
    for (const token of [tenant.token, legacyToken]) {
      expect((await call("/api/auth/me", { token, env: onlyB })).status).toBe(401);
    }
    expect((await call("/api/auth/me", { token: login.body.token, env: onlyB })).status).toBe(200);
  });

  it("re-seals in batches that resume where they stopped, and counts what no listed key opens", async () => {
    const world = await sealedWithA();
    const org = world.tenant.organizationId;
    const B = newKey();
    const kidB = await keyId(B);
    // A value sealed with a key already gone: reported, skipped, never looped on.
    const lost = await withDb(async (db) => {
      const [row] = await db
        .update(channels)
        .set({
          webhookSecret: sql`'v2.deadbeef.' || split_part(${channels.webhookSecret}, '.', 3) || '.' || split_part(${channels.webhookSecret}, '.', 4)`,
        })
        .where(eq(channels.id, world.channels[0]?.id as string))
        .returning({ id: channels.id });
      return row?.id;
    });
    const keys = `${B},${A}`;
    const stopped = await withDb((db) => reseal(db, keys, { organizationId: org, deadline: 0 }));
    expect(stopped).toMatchObject({ resealed: 0, next: { field: 0, after: null } });
    let from = stopped.next ?? undefined;
    let total = 0;
    let failures: { field: string; id: string }[] = [];
    let slices = 0;
    while (from) {
      // One batch of one value per slice: the deadline passes as soon as the first batch is done.
      const progress = await withDb((db) =>
        reseal(db, keys, { organizationId: org, from, batchSize: 1, deadline: Date.now() + 1 }),
      );
      total += progress.resealed;
      failures = [...failures, ...progress.failures];
      from = progress.next ?? undefined;
      slices += 1;
      expect(slices).toBeLessThan(50);
    }
    expect(total).toBe(6);
    expect(failures).toEqual([{ field: "channels.webhook_secret", id: lost }]);
    const after = await sealedOf(org);
    expect(after.filter((v) => v.startsWith(`v2.${kidB}.`))).toHaveLength(6);
    expect(after.filter((v) => v.startsWith("v2.deadbeef."))).toHaveLength(1);
  });
});
