// npm run dev: the whole system on this machine with nothing to install or sign up for.
// 1. .dev.vars from .dev.vars.example, local secrets generated;
// 2. the embedded Postgres (PGlite over the wire protocol, data in .data/) unless DATABASE_URL is set;
// 3. migrations; 4. the docs' assets (Swagger UI from swagger-ui-dist, scripts/docs-assets.ts);
// 5. `wrangler dev --test-scheduled` on the gateway, pointed at that database.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { ensureDevVars } from "./dev-vars.ts";
import { copyDocsAssets } from "./docs-assets.ts";
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

// The top level of wrangler.toml is local-only and declares no assets (so the production
// functions other than api do not inherit them): serve the docs' directory explicitly.
const assets = copyDocsAssets();

const publicUrl = vars.PUBLIC_URL || `http://localhost:${port}`;
const wrangler: ChildProcess = spawn(
  path.join(root, "node_modules", ".bin", "wrangler"),
  [
    "dev",
    "--test-scheduled",
    "--assets",
    assets.dir,
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

// wrangler dev runs the cron only when asked (/__scheduled). Jobs that wait for their time (the AI
// agent's quiet period, retries after backoff) need its ticks, so they come every few seconds here.
const cronSeconds = Number(process.env.DEV_CRON_SECONDS ?? 5);
const cron =
  cronSeconds > 0
    ? setInterval(() => {
        fetch(`http://127.0.0.1:${port}/__scheduled`).then(
          (res) => res.body?.cancel(),
          () => {}, // not up yet, or restarting
        );
      }, cronSeconds * 1000)
    : undefined;

console.log(`
  Switchboard is starting on ${publicUrl}
    API      ${publicUrl}/api
    Docs     ${publicUrl}/api/docs
    OpenAPI  ${publicUrl}/api/openapi.json
    Health   ${publicUrl}/api/health
    Cron     ${publicUrl}/__scheduled  (runs the scheduled handler once; ticks every ${cronSeconds || "-"} s)
`);

let stopping = false;
async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  clearInterval(cron);
  wrangler.kill("SIGTERM");
  await stopDatabase?.();
  process.exit(code);
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
wrangler.on("exit", (code) => void stop(code ?? 0));
