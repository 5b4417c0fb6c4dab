import { newApp } from "@/platform/app";
import type { Bindings } from "@/platform/env";

/** /jobs/<name>: durable job deliveries (QStash or local). The job registry mounts here. */
const app = newApp();

export default { fetch: app.fetch } satisfies ExportedHandler<Bindings>;
