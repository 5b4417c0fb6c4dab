import { createRoute, z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import type { App } from "@/platform/api-app";
import type { Env } from "@/platform/env";
import { jsonContent } from "@/platform/openapi";
import { rateLimitStore } from "@/platform/ratelimit";
import { voiceHealth, voiceHealthSchema } from "@/voice/health";

const integration = z.enum(["configured", "not_configured"]);

const healthSchema = z
  .object({
    status: z.enum(["ok", "degraded"]),
    database: z.object({
      status: z.enum(["ok", "error"]),
      driver: z.enum(["neon", "pg"]),
      latencyMs: z.number().nullable(),
      error: z.string().optional(),
    }),
    sandbox: z.boolean().openapi({ description: "True when outbound sends are simulated." }),
    rateLimits: z.enum(["upstash", "per-isolate"]).openapi({
      description:
        "Where rate-limit counters live. per-isolate (no Upstash Redis) is right for one local process; in a deployment every isolate counts alone, which is no limit at all.",
    }),
    integrations: z.object({
      qstash: integration,
      upstashRedis: integration,
      openai: integration,
    }),
    voice: voiceHealthSchema,
  })
  .openapi("Health");

const route = createRoute({
  method: "get",
  path: "/api/health",
  tags: ["health"],
  summary: "Liveness and readiness",
  responses: {
    200: jsonContent(healthSchema, "Healthy."),
    503: jsonContent(healthSchema, "The database is unreachable."),
  },
});

const configured = (...values: (string | undefined)[]) =>
  values.every((v) => v !== undefined) ? ("configured" as const) : ("not_configured" as const);

function integrations(env: Env) {
  return {
    qstash: configured(env.QSTASH_TOKEN, env.QSTASH_CURRENT_SIGNING_KEY, env.QSTASH_NEXT_SIGNING_KEY),
    upstashRedis: configured(env.UPSTASH_REDIS_REST_URL, env.UPSTASH_REDIS_REST_TOKEN),
    openai: configured(env.OPENAI_API_KEY),
  };
}

export function registerHealthRoutes(app: App) {
  app.openapi(route, async (c) => {
    const { env, db, database, log } = c.var.services;
    const started = performance.now();
    let database_: z.infer<typeof healthSchema>["database"];
    try {
      await db.execute(sql`select 1`);
      database_ = {
        status: "ok",
        driver: database.driver,
        latencyMs: Math.round((performance.now() - started) * 100) / 100,
      };
    } catch (error) {
      log.error("health check: database unreachable", { error });
      database_ = { status: "error", driver: database.driver, latencyMs: null, error: "database unreachable" };
    }
    const ok = database_.status === "ok";
    const voice = await voiceHealth(ok ? db : null, env).catch((error) => {
      log.error("health check: voice channels unreadable", { error });
      return voiceHealth(null, env);
    });
    const body = {
      status: ok ? ("ok" as const) : ("degraded" as const),
      database: database_,
      sandbox: env.SANDBOX || false,
      rateLimits: rateLimitStore(env, log),
      integrations: integrations(env),
      voice,
    };
    return ok ? c.json(body, 200) : c.json(body, 503);
  });
}
