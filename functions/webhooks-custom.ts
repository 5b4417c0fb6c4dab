import type { Bindings } from "@/platform/env";
import { createCustomWebhookApp } from "@/webhooks/custom";

const app = createCustomWebhookApp();

export default { fetch: app.fetch } satisfies ExportedHandler<Bindings>;
