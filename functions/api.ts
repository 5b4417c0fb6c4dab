import { createApiApp } from "@/api/app";
import type { Bindings } from "@/platform/env";

const app = createApiApp();

export default { fetch: app.fetch } satisfies ExportedHandler<Bindings>;
