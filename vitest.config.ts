import path from "node:path";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.toml" } })],
  resolve: { alias: { "@": path.resolve(import.meta.dirname, "src") } },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["./test/support/global-setup.ts"],
    setupFiles: ["./test/support/file-setup.ts"],
    // One workerd isolate for all files instead of a new one (and a new module graph) per file:
    // files never share rows (every test makes its own organization) and per-file resources
    // are closed by file-setup.ts, so isolation bought nothing but a second of startup per file.
    isolate: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
