import { registerJobEndpoint } from "@/jobs/endpoint";
import { jobRegistry } from "@/jobs/registry";
import { newWorkerApp } from "@/platform/app";
import type { Bindings } from "@/platform/env";

/** /jobs/<name>: durable job deliveries (QStash or local), verified, run and acknowledged. */
const app = newWorkerApp();
registerJobEndpoint(app, jobRegistry);

export default { fetch: app.fetch } satisfies ExportedHandler<Bindings>;
