// wrangler.toml deploys every function where PUBLIC_URL sends providers and QStash: its routes
// and PUBLIC_URL are derived from one hostname, and the check refuses a file that drifts.
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { checkDeployConfig, deployTargets, WRANGLER_TOML, withPublicUrl } from "../../scripts/deploy-config";

const committed = readFileSync(WRANGLER_TOML, "utf8");
const dirs: string[] = [];

/** `text` as the wrangler.toml of a scratch project that shares this one's functions/. */
function configFile(text: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "switchboard-wrangler-"));
  dirs.push(dir);
  symlinkSync(path.join(path.dirname(WRANGLER_TOML), "functions"), path.join(dir, "functions"));
  writeFileSync(path.join(dir, "wrangler.toml"), text);
  return path.join(dir, "wrangler.toml");
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("wrangler.toml", () => {
  it("as committed puts every function on its routes of one host", () => {
    expect(checkDeployConfig()).toEqual([]);
    expect(deployTargets()).toEqual([
      "gateway",
      "api",
      "jobs",
      "cron",
      "webhooks-meta",
      "webhooks-zapi",
      "webhooks-builderbot",
      "webhooks-twilio",
      "webhooks-telegram",
      "webhooks-retell",
      "webhooks-elevenlabs",
      "webhooks-custom",
    ]);
  });

  it("moves every route and PUBLIC_URL to a new host with one setting", () => {
    const moved = withPublicUrl(committed, "https://support.acme.com.br");
    expect(checkDeployConfig(configFile(moved))).toEqual([]);
    expect(moved).not.toContain("switchboard.example.com/");
    expect(moved).not.toContain("https://switchboard.example.com");
    expect(moved).toContain('routes = ["support.acme.com.br/webhooks/twilio/*"]');
    expect(moved).toContain('routes = ["support.acme.com.br/jobs/*"]');
    // The local top level is not a deployment: it stays on localhost.
    expect(moved).toMatch(/^\[vars\]\nPUBLIC_URL = "http:\/\/localhost:8787"$/m);
  });

  it("refuses a route on another host, a PUBLIC_URL that differs, and a function without an env", () => {
    const drifted = committed
      .replace('routes = ["switchboard.example.com/jobs/*"]', 'routes = ["jobs.example.com/*"]')
      .replace(
        'zapi/*"]\nvars = { PUBLIC_URL = "https://switchboard.example.com"',
        'zapi/*"]\nvars = { PUBLIC_URL = "https://zapi.example.com"',
      )
      .replace(/\[env\.webhooks-telegram\][^[]*/, "");
    const problems = checkDeployConfig(configFile(drifted));
    expect(problems).toEqual(
      expect.arrayContaining([
        '[env.jobs] routes ["jobs.example.com/*"], expected ["switchboard.example.com/jobs/*"]',
        '[env.webhooks-zapi] routes ["switchboard.example.com/webhooks/zapi/*"], expected ["zapi.example.com/webhooks/zapi/*"]',
        "PUBLIC_URL differs between environments: switchboard.example.com, zapi.example.com",
        "functions/webhooks-telegram.ts has no [env.webhooks-telegram] in wrangler.toml",
      ]),
    );
  });

  it("refuses the docs' assets missing from api and carried by a webhook function", () => {
    const text = committed
      .replace(/(\[env\.api\][^[]*?)assets = \{ directory = "\.\/assets" \}\n/, "$1")
      .replace(/(\[env\.webhooks-meta\]\n)/, '$1assets = { directory = "./assets" }\n');
    expect(checkDeployConfig(configFile(text))).toEqual([
      '[env.api] needs assets = { directory = "./assets" } for /api/docs',
      "[env.webhooks-meta] carries static assets it never serves",
    ]);
  });

  it("takes only an https origin as the host", () => {
    expect(() => withPublicUrl(committed, "http://support.acme.com.br")).toThrow(/must be https/);
    expect(() => withPublicUrl(committed, "https://acme.com.br/support")).toThrow(/bare origin/);
  });
});
