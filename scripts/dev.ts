// npm run dev: the whole system on this machine with nothing to install or sign up for.
// 1. .dev.vars from .dev.vars.example, local secrets generated;
// 2. the embedded Postgres (PGlite over the wire protocol, data in .data/) unless DATABASE_URL is set;
// 3. migrations; 4. `wrangler dev --test-scheduled` on the gateway, pointed at that database.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { ensureDevVars } from "./dev-vars.ts";
import { migrateDatabase } from "./migrate.ts";
import { createPGlite, servePGlite } from "./pglite-server.ts";

const root = path.resolve(import.meta.dirname, "..");
process.chdir(root);
const port = Number(process.env.PORT ?? 8787);
const vars = ensureDevVars();

let stopDatabase: (() => Promise<void>) | undefined;
let databaseUrl = process.env.DATABASE_URL || vars.DATABASE_URL;
if (!databaseUrl) {
  const dataDir = path.join(root, ".data", "pglite");
  mkdirSync(dataDir, { recursive: true });
  const pglite = await createPGlite(dataDir);
  const server = await servePGlite(pglite, { port: Number(process.env.DEV_DB_PORT ?? 0) });
  databaseUrl = `postgres://postgres:postgres@127.0.0.1:${server.port}/postgres`;
  stopDatabase = async () => {
    await server.close();
    await pglite.close();
  };
  console.log(`embedded Postgres (PGlite) on ${databaseUrl}, data in .data/pglite`);
}

await migrateDatabase(databaseUrl);
console.log("migrations applied");

const publicUrl = vars.PUBLIC_URL || `http://localhost:${port}`;
const wrangler: ChildProcess = spawn(
  path.join(root, "node_modules", ".bin", "wrangler"),
  [
    "dev",
    "--test-scheduled",
    "--port",
    String(port),
    "--ip",
    "127.0.0.1",
    "--var",
    `DATABASE_URL:${databaseUrl}`,
    "--var",
    `PUBLIC_URL:${publicUrl}`,
  ],
  { stdio: "inherit", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
);

console.log(`
  Switchboard is starting on ${publicUrl}
    API      ${publicUrl}/api
    Docs     ${publicUrl}/api/docs
    OpenAPI  ${publicUrl}/api/openapi.json
    Health   ${publicUrl}/api/health
    Cron     ${publicUrl}/__scheduled  (runs the scheduled handler once)
`);

let stopping = false;
async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  wrangler.kill("SIGTERM");
  await stopDatabase?.();
  process.exit(code);
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
wrangler.on("exit", (code) => void stop(code ?? 0));
