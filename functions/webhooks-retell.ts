import type { Bindings } from "@/platform/env";
import { createRetellWebhookApp } from "@/webhooks/retell";

const app = createRetellWebhookApp();

export default { fetch: app.fetch } satisfies ExportedHandler<Bindings>;
