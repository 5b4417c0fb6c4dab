import { useLocalJobTransport } from "@/jobs/dispatch";
import type { Bindings } from "@/platform/env";
import { problemResponse } from "@/platform/errors";
import api from "./api";
import cron from "./cron";
import jobs from "./jobs";
import webhooksBuilderbot from "./webhooks-builderbot";
import webhooksCustom from "./webhooks-custom";
import webhooksElevenlabs from "./webhooks-elevenlabs";
import webhooksMeta from "./webhooks-meta";
import webhooksRetell from "./webhooks-retell";
import webhooksTelegram from "./webhooks-telegram";
import webhooksTwilio from "./webhooks-twilio";
import webhooksZapi from "./webhooks-zapi";

type Fetch = NonNullable<ExportedHandler<Bindings>["fetch"]>;

/** Every function behind one Worker, routed by path prefix: for `wrangler dev` and single-Worker deploys. */
const routes: [prefix: string, fetch: Fetch][] = [
  ["/api/", api.fetch],
  ["/jobs/", jobs.fetch],
  ["/webhooks/meta/", webhooksMeta.fetch],
  ["/webhooks/zapi/", webhooksZapi.fetch],
  ["/webhooks/builderbot/", webhooksBuilderbot.fetch],
  ["/webhooks/twilio/", webhooksTwilio.fetch],
  ["/webhooks/telegram/", webhooksTelegram.fetch],
  ["/webhooks/retell/", webhooksRetell.fetch],
  ["/webhooks/elevenlabs/", webhooksElevenlabs.fetch],
  ["/webhooks/custom/", webhooksCustom.fetch],
];

// Jobs live in this Worker too: local deliveries call them in-process instead of over HTTP.
useLocalJobTransport(async (request, env, ctx) => jobs.fetch(request as Parameters<Fetch>[0], env, ctx));

export default {
  fetch(request, env, ctx) {
    const { pathname } = new URL(request.url);
    for (const [prefix, fetch] of routes) if (pathname.startsWith(prefix)) return fetch(request, env, ctx);
    return problemResponse("NOT_FOUND", `No route for ${request.method} ${pathname}.`);
  },
  scheduled: cron.scheduled,
} satisfies ExportedHandler<Bindings>;
