// The test database: the embedded PGlite over the wire protocol by default, or a fresh database
// on the server named by TEST_DATABASE_URL (CI runs both). Migrations are applied with the same
// script that `npm run db:migrate` runs. A migrated PGlite is kept as a snapshot named by the
// hash of the migrations, the migrate script and PGlite's version, so later runs start from it
// instead of running initdb and the migrations again (seconds of every run).
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readdir, readFile, rename, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import type * as PG from "pg";
import { servePGlite } from "../../scripts/pglite-server";

const pg = createRequire(import.meta.url)("pg") as typeof PG;
const root = path.resolve(import.meta.dirname, "../..");

export type TestDatabase = { url: string; kind: "pglite" | "postgres"; close(): Promise<void> };

export async function startDatabase(): Promise<TestDatabase> {
  const external = process.env.TEST_DATABASE_URL;
  if (external) return migrate(await freshDatabase(external));
  const snapshot = await snapshotPath();
  const saved = await readFile(snapshot).catch(() => null);
  if (saved) return embedded(new PGlite({ loadDataDir: new Blob([saved]), extensions: { pg_trgm } }));
  const pglite = new PGlite({ extensions: { pg_trgm } });
  const db = await migrate(await embedded(pglite));
  const dump = Buffer.from(await (await pglite.dumpDataDir("gzip")).arrayBuffer());
  // Written aside and renamed, so a run started meanwhile never reads half a snapshot.
  const partial = `${snapshot}.${process.pid}`;
  await writeFile(partial, dump);
  await rename(partial, snapshot);
  return db;
}

async function migrate(db: TestDatabase): Promise<TestDatabase> {
  await promisify(execFile)(process.execPath, [path.join(root, "scripts/migrate.ts")], {
    env: { ...process.env, DATABASE_URL: db.url },
    // A stuck migration should fail the run loudly, not hang it.
    timeout: 120_000,
  });
  return db;
}

async function snapshotPath(): Promise<string> {
  const hash = createHash("sha256");
  const migrations = path.join(root, "migrations");
  const files = [
    ...(await readdir(migrations)).filter((f) => f.endsWith(".sql")).map((f) => path.join(migrations, f)),
    path.join(migrations, "meta/_journal.json"),
    path.join(root, "scripts/migrate.ts"),
    path.join(root, "node_modules/@electric-sql/pglite/package.json"),
  ].sort();
  for (const file of files) hash.update(file).update(await readFile(file));
  return path.join(tmpdir(), `switchboard-test-pglite-${hash.digest("hex").slice(0, 16)}.tar.gz`);
}

async function embedded(pglite: PGlite): Promise<TestDatabase> {
  await pglite.waitReady;
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
      // TEST_KEEP_DATABASE=1 leaves the run's rows to look at afterwards (what jobs a run left behind, say).
      if (process.env.TEST_KEEP_DATABASE) return console.log(`test database kept: ${name}`);
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}
