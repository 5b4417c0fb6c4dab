import type { Bindings } from "@/platform/env";
import { createTwilioWebhookApp } from "@/webhooks/twilio";

const app = createTwilioWebhookApp();

export default { fetch: app.fetch } satisfies ExportedHandler<Bindings>;
