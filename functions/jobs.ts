import { newWorkerApp } from "@/platform/app";
import type { Bindings } from "@/platform/env";

/** /jobs/<name>: durable job deliveries (QStash or local). The job registry mounts here. */
const app = newWorkerApp();

export default { fetch: app.fetch } satisfies ExportedHandler<Bindings>;
