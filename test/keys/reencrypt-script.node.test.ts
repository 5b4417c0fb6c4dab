// `npm run keys:reencrypt`, run as an operator runs it: a Node process against DATABASE_URL (here a
// PGlite of its own, migrated), re-sealing every organization's secrets with the current key.
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sealContext } from "@/keys/sealed";
import { decryptSecret, encryptSecret, keyId } from "@/platform/crypto";
import { migrateDatabase } from "../../scripts/migrate";
import { servePGlite } from "../../scripts/pglite-server";

const root = path.resolve(import.meta.dirname, "../..");
const A = "dGVzdC1vbmx5LWVuY3J5cHRpb24ta2V5LTMyLWJ5dGU=";
const B = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64");

let pglite: PGlite;
let server: { port: number; close(): Promise<void> };
let url: string;
let client: pg.Client;

/** What each sealed value must open to, by where it is stored. */
const plaintexts = new Map<string, { context: string; value: string }>();

async function seedOrganization() {
  const org = crypto.randomUUID();
  const channel = crypto.randomUUID();
  const credentials = JSON.stringify({ phoneNumberId: "1", accessToken: `EAAG-${org}` });
  const webhook = `secret-${org}`;
  const integration = JSON.stringify({ webhookUrl: `https://hooks.slack.com/services/${org}` });
  const events = `events-${org}`;
  const seal = (value: string, context: string) => encryptSecret(A, value, context);
  await client.query("insert into organizations (id, name, settings) values ($1, $2, $3)", [
    org,
    "Org",
    { eventsWebhook: { url: "https://example.com", secret: await seal(events, sealContext.eventsWebhook(org)) } },
  ]);
  await client.query(
    "insert into channels (id, organization_id, type, name, credentials, webhook_secret) values ($1, $2, 'whatsapp_meta', 'WA', $3, $4)",
    [
      channel,
      org,
      await seal(credentials, sealContext.channelCredentials(channel)),
      await seal(webhook, sealContext.channelWebhookSecret(channel)),
    ],
  );
  await client.query("insert into integrations (id, organization_id, provider, secrets) values ($1, $2, 'slack', $3)", [
    crypto.randomUUID(),
    org,
    await seal(integration, sealContext.integration(org, "slack")),
  ]);
  plaintexts.set(`channels.credentials:${channel}`, {
    context: sealContext.channelCredentials(channel),
    value: credentials,
  });
  plaintexts.set(`channels.webhook_secret:${channel}`, {
    context: sealContext.channelWebhookSecret(channel),
    value: webhook,
  });
  plaintexts.set(`integrations.secrets:${org}`, { context: sealContext.integration(org, "slack"), value: integration });
  plaintexts.set(`events:${org}`, { context: sealContext.eventsWebhook(org), value: events });
}

async function stored(): Promise<Map<string, string>> {
  const { rows } = await client.query<{ key: string; value: string }>(`
    select 'channels.credentials:' || id as key, credentials as value from channels
    union all select 'channels.webhook_secret:' || id, webhook_secret from channels
    union all select 'integrations.secrets:' || organization_id, secrets from integrations
    union all select 'events:' || id, settings #>> '{eventsWebhook,secret}' from organizations`);
  return new Map(rows.map((r) => [r.key, r.value]));
}

async function script(keys: string, ...args: string[]) {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [path.join(root, "scripts/keys-reencrypt.ts"), ...args],
      { env: { ...process.env, DATABASE_URL: url, ENCRYPTION_KEY: keys }, timeout: 60_000 },
    );
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

beforeAll(async () => {
  pglite = new PGlite({ extensions: { pg_trgm } });
  await pglite.waitReady;
  server = await servePGlite(pglite);
  url = `postgres://postgres:postgres@127.0.0.1:${server.port}/postgres`;
  await migrateDatabase(url);
  client = new pg.Client({ connectionString: url });
  await client.connect();
  await seedOrganization();
  await seedOrganization();
});

afterAll(async () => {
  await client?.end();
  await server?.close();
  await pglite?.close();
});

describe("npm run keys:reencrypt", () => {
  it("re-seals every organization's secrets with the new key, only while the old one is still listed", async () => {
    const [kidA, kidB] = await Promise.all([keyId(A), keyId(B)]);
    const before = await stored();
    expect(before.size).toBe(8);
    expect([...before.values()].every((v) => v.startsWith(`v2.${kidA}.`))).toBe(true);

    // The old key already removed: nothing opens, nothing is written, and the script fails.
    const early = await script(B);
    expect(early.code, early.output).toBe(1);
    expect(early.output).toContain("unreadable 8");
    expect(await stored()).toEqual(before);

    const dry = await script(`${B},${A}`, "--dry-run");
    expect(dry.code, dry.output).toBe(0);
    expect(dry.output).toContain(`"channels.credentials":{"${kidA}":2}`);
    expect(await stored()).toEqual(before);

    const run = await script(`${B},${A}`);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("re-sealed 8");
    expect(run.output).toContain(`everything is sealed with ${kidB}`);
    const after = await stored();
    for (const [key, sealed] of after) {
      expect(sealed.startsWith(`v2.${kidB}.`), key).toBe(true);
      const expected = plaintexts.get(key);
      expect(await decryptSecret(B, sealed, expected?.context)).toBe(expected?.value);
    }

    const again = await script(B);
    expect(again.code, again.output).toBe(0);
    expect(again.output).toContain("re-sealed 0");
    expect(await stored()).toEqual(after);
  });
});
