import { swaggerUI } from "@hono/swagger-ui";
import type { App } from "@/platform/api-app";
import { DOCS_BASE } from "./docs-assets";

/** GET /api/docs: Swagger UI over `openApiPath`, its script and stylesheet served by this Worker. */
export function registerDocs(app: App, openApiPath: string) {
  app.get(DOCS_BASE, swaggerUI({ url: openApiPath, title: "Switchboard API", baseUrl: DOCS_BASE }));
}
