import type { Bindings } from "@/platform/env";
import { createBuilderbotWebhookApp } from "@/webhooks/builderbot";

const app = createBuilderbotWebhookApp();

export default { fetch: app.fetch } satisfies ExportedHandler<Bindings>;
