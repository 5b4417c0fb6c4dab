import type { Bindings } from "@/platform/env";
import { createMetaWebhookApp } from "@/webhooks/meta";

const app = createMetaWebhookApp();

export default { fetch: app.fetch } satisfies ExportedHandler<Bindings>;
