import type { Bindings } from "@/platform/env";
import { createZapiWebhookApp } from "@/webhooks/zapi";

const app = createZapiWebhookApp();

export default { fetch: app.fetch } satisfies ExportedHandler<Bindings>;
