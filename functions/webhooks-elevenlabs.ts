import type { Bindings } from "@/platform/env";
import { createElevenlabsWebhookApp } from "@/webhooks/elevenlabs";

const app = createElevenlabsWebhookApp();

export default { fetch: app.fetch } satisfies ExportedHandler<Bindings>;
