// npm run build: bundles the gateway and every function with `wrangler deploy --dry-run`
// (exactly what a deploy would upload) and prints each bundle's raw and gzip size.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";

const root = path.resolve(import.meta.dirname, "..");
const wrangler = path.join(root, "node_modules", ".bin", "wrangler");
const functions = [...readFileSync(path.join(root, "wrangler.toml"), "utf8").matchAll(/^\[env\.([\w-]+)\]$/gm)].map(
  (m) => m[1] as string,
);
const targets = [
  { name: "gateway", env: undefined as string | undefined },
  ...functions.map((f) => ({ name: f, env: f })),
];

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const rows: { name: string; raw: number; gzip: number }[] = [];

for (const target of targets) {
  const outdir = path.join(root, "dist", target.name);
  rmSync(outdir, { recursive: true, force: true });
  const args = ["deploy", "--dry-run", "--outdir", outdir, ...(target.env ? ["--env", target.env] : [])];
  try {
    execFileSync(wrangler, args, {
      cwd: root,
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    });
  } catch (error) {
    console.error(`build of ${target.name} failed:\n${(error as { stderr?: Buffer }).stderr?.toString() ?? error}`);
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
  rows.push({ name: target.name, raw, gzip });
}

console.log("\nfunction        raw          gzip");
for (const row of rows)
  console.log(`${row.name.padEnd(15)} ${kib(row.raw).padStart(11)}  ${kib(row.gzip).padStart(11)}`);
console.log("\nbundles in dist/<function>/ (Workers' limit: 3 MiB gzip on Free, 10 MiB on Paid)");
