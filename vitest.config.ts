import { createRequire } from "node:module";
import path from "node:path";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { configDefaults, defineConfig } from "vitest/config";

const alias = { "@": path.resolve(import.meta.dirname, "src") };
// Tests that drive the system from outside (a real Worker on a port, a real browser) run in
// Node and end in .node.test.ts; every other test runs inside workerd.
const nodeTests = "**/*.node.test.ts";
// Inside workerd, CommonJS requires (pg's require("pg-cloudflare")) are resolved by the workers
// plugin through the ROOT Vite server, which lacks the plugin's "workerd" condition once the
// plugin lives in a project (at the root it would run the node project in workerd too, and the
// condition itself would give the node project browser builds). So that one require is pointed
// at pg-cloudflare's workerd build here; without it, pg finds no socket in workerd.
const pgCloudflare = createRequire(import.meta.url).resolve("pg-cloudflare/package.json");

export default defineConfig({
  resolve: { alias: { "pg-cloudflare": path.join(path.dirname(pgCloudflare), "dist", "index.js") } },
  test: {
    projects: [
      {
        plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.toml" } })],
        resolve: { alias },
        test: {
          name: "workers",
          include: ["src/**/*.test.ts", "test/**/*.test.ts"],
          exclude: [...configDefaults.exclude, nodeTests],
          globalSetup: ["./test/support/global-setup.ts"],
          setupFiles: ["./test/support/file-setup.ts"],
          // One workerd isolate for all files instead of a new one (and a new module graph) per
          // file: files never share rows (every test makes its own organization) and per-file
          // resources are closed by file-setup.ts, so isolation bought only a second of startup.
          isolate: false,
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: "node",
          environment: "node",
          include: [`src/${nodeTests}`, `test/${nodeTests}`],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
