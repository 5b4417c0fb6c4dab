// /api/docs in a real browser (Debian's chromium driven by playwright-core) against the real
// Worker, started by wrangler from wrangler.toml's production environments with their static
// assets, on the test database. Nothing may come from outside the machine: a page that needs a
// CDN is blank on a network that blocks it.
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestHarness, type TestHarness } from "wrangler";
import { copyDocsAssets } from "../../scripts/docs-assets";
import { servePGlite } from "../../scripts/pglite-server";

const root = path.resolve(import.meta.dirname, "../..");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SECRETS = {
  ENCRYPTION_KEY: "dGVzdC1vbmx5LWVuY3J5cHRpb24ta2V5LTMyLWJ5dGU=",
  JWT_SECRET: "test-only-jwt-secret-at-least-32-characters-long",
};

let database: { url: string; close(): Promise<void> };
let browser: Browser;

/** What /api/health needs: a Postgres that answers `select 1` (no tables, so no migrations). */
async function startDatabase() {
  const external = process.env.TEST_DATABASE_URL;
  if (external) return { url: external, close: async () => {} };
  const pglite = await PGlite.create();
  const server = await servePGlite(pglite);
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${server.port}/postgres`,
    async close() {
      await server.close();
      await pglite.close();
    },
  };
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: apt-get install -y chromium`);
  copyDocsAssets();
  database = await startDatabase();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
});

afterAll(async () => {
  await browser?.close();
  await database?.close();
});

// The api function is what serves /api/docs in per-function deploys; the gateway in one-Worker ones.
describe.each(["api", "gateway"])("GET /api/docs in a browser (wrangler env %s)", (env) => {
  let server: TestHarness;
  let url: URL;
  let page: Page;
  const offOrigin: string[] = [];

  beforeAll(async () => {
    const worker = (publicUrl: string) => ({
      configPath: "./wrangler.toml",
      env,
      vars: { PUBLIC_URL: publicUrl, LOG_LEVEL: "warn" },
      secrets: { ...SECRETS, DATABASE_URL: database.url },
    });
    server = createTestHarness({ root, workers: [worker("http://127.0.0.1")] });
    ({ url } = await server.listen());
    // The OpenAPI document names PUBLIC_URL as its server, which "Try it out" calls: make it this one.
    await server.update({ root, workers: [worker(url.origin)] });
    page = await browser.newPage();
    page.on("request", (request) => {
      if (new URL(request.url()).origin !== url.origin) offOrigin.push(request.url());
    });
    await page.goto(new URL("/api/docs", url).href);
  });

  afterAll(async () => {
    await page?.close();
    await server?.close();
  });

  it("loads Swagger UI's script and stylesheet from the Worker itself", async () => {
    const sources = await page.$$eval("script[src], link[rel=stylesheet]", (nodes) =>
      nodes.map((n) => n.getAttribute("src") ?? n.getAttribute("href")),
    );
    expect(sources).toEqual([
      "/api/docs/swagger-ui-dist/swagger-ui.css",
      "/api/docs/swagger-ui-dist/swagger-ui-bundle.js",
    ]);
    for (const source of sources) {
      const res = await fetch(new URL(source ?? "", url));
      expect(res.status, `${source}: ${res.status}`).toBe(200);
    }
  });

  it("lists the operations", async () => {
    await page.locator(".opblock").first().waitFor();
    // From 150 tags and operations on, Swagger UI renders only those near the viewport: scroll
    // through the page and collect every operation that was shown.
    const operations = new Set<string>();
    for (let seen = -1; seen !== operations.size; ) {
      seen = operations.size;
      const shown = await page.$$eval(".opblock", (blocks) =>
        blocks.map(
          (b) =>
            `${b.querySelector(".opblock-summary-method")?.textContent} ${b.querySelector(".opblock-summary-path")?.textContent}`,
        ),
      );
      for (const op of shown) operations.add(op.replace(/\u200b/g, ""));
      await page.mouse.wheel(0, 600);
      await page.waitForTimeout(100);
    }
    // Back to the top, where the next test finds GET /api/health.
    await page.evaluate("window.scrollTo(0, 0)");
    await page.locator('.opblock-summary-path[data-path="/api/health"]').waitFor();
    const paths = [...operations].map((op) => op.split(" ")[1]);
    expect(paths).toEqual(expect.arrayContaining(["/api/health", "/api/auth/login", "/api/tickets", "/api/channels"]));
    expect(operations.size).toBeGreaterThan(40);
  });

  it('executes "Try it out" on GET /api/health against the running server and shows 200', async () => {
    const health = page.locator(".opblock-get", {
      has: page.locator('.opblock-summary-path[data-path="/api/health"]'),
    });
    await health.locator(".opblock-summary").click();
    await health.getByRole("button", { name: "Try it out" }).click();
    const answer = page.waitForResponse((res) => res.url() === new URL("/api/health", url).href);
    await health.getByRole("button", { name: "Execute" }).click();
    expect((await answer).status()).toBe(200);
    const status = health.locator(".live-responses-table .response .response-col_status").first();
    await expect.poll(() => status.textContent()).toBe("200");
    await expect
      .poll(() => health.locator(".live-responses-table .microlight").first().textContent())
      .toContain('"status": "ok"');
    // For a person to look at (dist/ is not committed): the executed request and its answer.
    const shots = path.join(root, "dist", "screenshots");
    mkdirSync(shots, { recursive: true });
    await health.screenshot({ path: path.join(shots, `docs-${env}-health.png`) });
  });

  it("asks nothing of any other origin", () => {
    expect(offOrigin).toEqual([]);
  });
});
