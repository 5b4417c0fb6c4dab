// Where the interactive docs load Swagger UI from: the gateway's own static assets, never a CDN
// (a network that blocks CDNs would get a blank page). scripts/docs-assets.ts copies the files
// from the npm package swagger-ui-dist into ASSETS_DIR/<DOCS_BASE>/swagger-ui-dist/, the path
// @hono/swagger-ui builds from its `baseUrl`; wrangler.toml's [assets] serves that directory.
// No imports: the Node script reads this file too.

/** Workers static assets directory, relative to the repository root (gitignored, generated). */
export const ASSETS_DIR = "assets";
/** URL prefix of the docs and of their assets; under /api/ so the api function's routes reach it. */
export const DOCS_BASE = "/api/docs";
/** The files of swagger-ui-dist the page loads. */
export const SWAGGER_UI_FILES = ["swagger-ui.css", "swagger-ui-bundle.js"] as const;
