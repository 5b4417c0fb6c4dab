// npm run build: checks that wrangler.toml routes every function where PUBLIC_URL leads, fills
// the docs' static assets, bundles every deployable environment (the gateway and each function)
// with `wrangler deploy --dry-run` (exactly what a deploy would upload) and prints each bundle's
// raw and gzip size.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { deployTargets, requireDeployConfig } from "./deploy-config.ts";
import { copyDocsAssets } from "./docs-assets.ts";

const root = path.resolve(import.meta.dirname, "..");
const wrangler = path.join(root, "node_modules", ".bin", "wrangler");

requireDeployConfig();
copyDocsAssets();

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const rows: { name: string; raw: number; gzip: number }[] = [];

for (const name of deployTargets()) {
  const outdir = path.join(root, "dist", name);
  rmSync(outdir, { recursive: true, force: true });
  const args = ["deploy", "--dry-run", "--outdir", outdir, "--env", name];
  try {
    execFileSync(wrangler, args, {
      cwd: root,
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    });
  } catch (error) {
    console.error(`build of ${name} failed:\n${(error as { stderr?: Buffer }).stderr?.toString() ?? error}`);
    process.exit(1);
  }
  let raw = 0;
  let gzip = 0;
  for (const file of readdirSync(outdir)) {
    if (!/\.(m?js|wasm)$/.test(file)) continue;
    const full = path.join(outdir, file);
    if (!statSync(full).isFile()) continue;
    const bytes = readFileSync(full);
    raw += bytes.length;
    gzip += gzipSync(bytes, { level: 9 }).length;
  }
  rows.push({ name, raw, gzip });
}

const width = Math.max(...rows.map((row) => row.name.length));
console.log(`\n${"function".padEnd(width)}         raw         gzip`);
for (const row of rows)
  console.log(`${row.name.padEnd(width)} ${kib(row.raw).padStart(11)}  ${kib(row.gzip).padStart(11)}`);
console.log("\nbundles in dist/<function>/ (Workers' limit: 3 MiB gzip on Free, 10 MiB on Paid)");
