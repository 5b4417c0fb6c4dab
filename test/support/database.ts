// The test database: the embedded PGlite over the wire protocol by default, or a fresh database
// on the server named by TEST_DATABASE_URL (CI runs both). Migrations are applied with the same
// script that `npm run db:migrate` runs.
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { promisify } from "node:util";
import type * as PG from "pg";
import { createPGlite, servePGlite } from "../../scripts/pglite-server";

const pg = createRequire(import.meta.url)("pg") as typeof PG;
const root = path.resolve(import.meta.dirname, "../..");

export type TestDatabase = { url: string; kind: "pglite" | "postgres"; close(): Promise<void> };

export async function startDatabase(): Promise<TestDatabase> {
  const external = process.env.TEST_DATABASE_URL;
  const db = external ? await freshDatabase(external) : await embedded();
  await promisify(execFile)(process.execPath, [path.join(root, "scripts/migrate.ts")], {
    env: { ...process.env, DATABASE_URL: db.url },
    // A stuck migration should fail the run loudly, not hang it.
    timeout: 120_000,
  });
  return db;
}

async function embedded(): Promise<TestDatabase> {
  const pglite = await createPGlite();
  const server = await servePGlite(pglite);
  const { port } = server;
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    kind: "pglite",
    async close() {
      await server.close();
      await pglite.close();
    },
  };
}

/** A database of its own on the given server, so runs never see each other's rows. */
async function freshDatabase(serverUrl: string): Promise<TestDatabase> {
  const name = `switchboard_test_${Date.now()}_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    kind: "postgres",
    async close() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}
