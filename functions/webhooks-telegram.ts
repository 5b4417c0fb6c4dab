import type { Bindings } from "@/platform/env";
import { createTelegramWebhookApp } from "@/webhooks/telegram";

const app = createTelegramWebhookApp();

export default { fetch: app.fetch } satisfies ExportedHandler<Bindings>;
