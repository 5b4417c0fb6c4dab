// Fills the Workers static assets directory (wrangler.toml [assets]) with Swagger UI's script and
// stylesheet from the npm package swagger-ui-dist, so /api/docs never depends on a public CDN.
// Run before dev, test and build (scripts/dev.ts, vitest.config.ts, scripts/build.ts call it);
// `node scripts/docs-assets.ts` runs it alone. The directory is generated and gitignored.
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { ASSETS_DIR, DOCS_BASE, SWAGGER_UI_FILES } from "../src/api/docs-assets.ts";

const root = path.resolve(import.meta.dirname, "..");

/** Copies the docs' assets into assets/; returns the directory and the package version copied. */
export function copyDocsAssets(): { dir: string; version: string } {
  const manifest = createRequire(import.meta.url).resolve("swagger-ui-dist/package.json");
  const source = path.dirname(manifest);
  const { version } = JSON.parse(readFileSync(manifest, "utf8")) as { version: string };
  const assets = path.join(root, ASSETS_DIR);
  const target = path.join(assets, DOCS_BASE, "swagger-ui-dist");
  mkdirSync(target, { recursive: true });
  for (const file of SWAGGER_UI_FILES) copyFileSync(path.join(source, file), path.join(target, file));
  return { dir: assets, version };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { dir, version } = copyDocsAssets();
  console.log(`swagger-ui-dist ${version} copied to ${path.relative(root, dir)}/`);
}
