// The rule that puts every function where PUBLIC_URL sends providers and QStash, and the check
// that wrangler.toml follows it. Each [env.<function>] deploys on ONE hostname (PUBLIC_URL's):
//   gateway → <host>/*   api → <host>/api/*   jobs → <host>/jobs/*
//   webhooks-<provider> → <host>/webhooks/<provider>/*   cron → no routes
// `npm run build` runs the check; `npm run deploy:host` rewrites the file by the rule.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type Unstable_Config, unstable_readConfig } from "wrangler";
import { ASSETS_DIR } from "../src/api/docs-assets.ts";

const root = path.resolve(import.meta.dirname, "..");
export const WRANGLER_TOML = path.join(root, "wrangler.toml");

/** The path a function's routes cover, or null for one that takes no requests (cron). */
function routePrefix(fn: string): string | null {
  if (fn === "gateway") return "/*";
  if (fn === "cron") return null;
  const webhook = /^webhooks-([\w-]+)$/.exec(fn);
  return webhook ? `/webhooks/${webhook[1]}/*` : `/${fn}/*`;
}

/** Functions that answer /api/docs and so carry the docs' static assets. */
const servesDocs = (fn: string) => fn === "gateway" || fn === "api";

/** The [env.<name>] sections of wrangler.toml, in file order. */
export function deployTargets(text = readFileSync(WRANGLER_TOML, "utf8")): string[] {
  return [...text.matchAll(/^\[env\.([\w-]+)\]$/gm)].map((m) => m[1] as string);
}

/** A PUBLIC_URL a deployment can have: https, a hostname, no path. Returns the hostname. */
function deployHost(publicUrl: string): string {
  const url = new URL(publicUrl);
  if (url.protocol !== "https:") throw new Error(`PUBLIC_URL must be https (providers refuse http): ${publicUrl}`);
  if (url.pathname !== "/" || url.search || url.port) {
    throw new Error(`PUBLIC_URL must be a bare origin, the functions' routes start at /: ${publicUrl}`);
  }
  return url.hostname;
}

function routesToml(fn: string, host: string): string {
  const prefix = routePrefix(fn);
  return prefix ? `routes = ["${host}${prefix}"]` : "routes = []";
}

/** wrangler.toml with every environment's routes and PUBLIC_URL derived from `publicUrl`. */
export function withPublicUrl(text: string, publicUrl: string): string {
  const host = deployHost(publicUrl);
  const origin = `https://${host}`;
  // Each section runs from its header to the next header; only [env.*] sections change.
  return text
    .split(/^(?=\[)/m)
    .map((section) => {
      const fn = /^\[env\.([\w-]+)\]$/m.exec(section)?.[1];
      if (!fn) return section;
      return section
        .replace(/^routes = .*$/m, routesToml(fn, host))
        .replace(/PUBLIC_URL = "[^"]*"/, `PUBLIC_URL = "${origin}"`);
    })
    .join("");
}

const routesOf = (config: Unstable_Config) => (config.routes ?? []).map((r) => (typeof r === "string" ? r : r.pattern));

/** Everything in wrangler.toml that would deploy a function somewhere PUBLIC_URL does not lead. */
export function checkDeployConfig(configPath = WRANGLER_TOML): string[] {
  const problems: string[] = [];
  const targets = deployTargets(readFileSync(configPath, "utf8"));
  const hosts = new Set<string>();
  for (const fn of targets) {
    const config = unstable_readConfig({ config: configPath, env: fn }, { hideWarnings: true });
    const publicUrl = String(config.vars.PUBLIC_URL ?? "");
    let host: string;
    try {
      host = deployHost(publicUrl);
    } catch (error) {
      problems.push(`[env.${fn}] ${(error as Error).message}`);
      continue;
    }
    hosts.add(host);
    const prefix = routePrefix(fn);
    const expected = prefix ? [`${host}${prefix}`] : [];
    const routes = routesOf(config);
    if (JSON.stringify(routes) !== JSON.stringify(expected)) {
      problems.push(`[env.${fn}] routes ${JSON.stringify(routes)}, expected ${JSON.stringify(expected)}`);
    }
    if (config.workers_dev !== false) problems.push(`[env.${fn}] workers_dev must be false: only its routes reach it`);
    if (path.relative(path.dirname(configPath), config.main ?? "") !== `functions/${fn}.ts`) {
      problems.push(`[env.${fn}] main is ${config.main}, expected functions/${fn}.ts`);
    }
    const assets = config.assets?.directory;
    if (servesDocs(fn) && path.normalize(assets ?? "") !== ASSETS_DIR) {
      problems.push(`[env.${fn}] needs assets = { directory = "./${ASSETS_DIR}" } for /api/docs`);
    }
    if (!servesDocs(fn) && assets) problems.push(`[env.${fn}] carries static assets it never serves`);
  }
  if (hosts.size > 1) problems.push(`PUBLIC_URL differs between environments: ${[...hosts].join(", ")}`);
  for (const file of readdirSync(path.join(path.dirname(configPath), "functions"))) {
    const fn = file.replace(/\.ts$/, "");
    if (!targets.includes(fn)) problems.push(`functions/${file} has no [env.${fn}] in wrangler.toml`);
  }
  return problems;
}

/** Prints every problem and exits 1 when there is one: for scripts that must not go on. */
export function requireDeployConfig(): void {
  const problems = checkDeployConfig();
  for (const problem of problems) console.error(`wrangler.toml: ${problem}`);
  if (problems.length > 0) process.exit(1);
}

// `node scripts/deploy-config.ts [https://host]` (npm run deploy:host): with a URL, rewrites every
// environment's PUBLIC_URL and routes onto its host; then checks the file and prints the routes.
if (import.meta.url === `file://${process.argv[1]}`) {
  const publicUrl = process.argv[2];
  if (publicUrl) {
    try {
      writeFileSync(WRANGLER_TOML, withPublicUrl(readFileSync(WRANGLER_TOML, "utf8"), publicUrl));
    } catch (error) {
      console.error((error as Error).message);
      process.exit(1);
    }
  }
  requireDeployConfig();
  for (const fn of deployTargets()) {
    const config = unstable_readConfig({ config: WRANGLER_TOML, env: fn }, { hideWarnings: true });
    console.log(`${fn.padEnd(20)} ${routesOf(config).join(" ") || "(no routes: its cron trigger runs it)"}`);
  }
}
