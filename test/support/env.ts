// Bindings for tests, on top of what wrangler.toml declares. Secrets here are test-only values.
import { env as bindings } from "cloudflare:workers";
import { inject } from "vitest";

export type Driver = "pg" | "neon";
export const drivers: Driver[] = ["pg", "neon"];

export const TEST_SECRETS = {
  ENCRYPTION_KEY: "dGVzdC1vbmx5LWVuY3J5cHRpb24ta2V5LTMyLWJ5dGU=",
  JWT_SECRET: "test-only-jwt-secret-at-least-32-characters-long",
  LOCAL_JOBS_SIGNING_KEY: "test-only-local-jobs-signing-key",
  OTP_PEPPER: "test-only-otp-pepper-at-least-32-characters",
};

/** Provider API base URLs, all pointing at the loopback fakes of test/support/fakes.ts. */
export function providerUrls() {
  const fakes = inject("fakesUrl");
  return {
    META_GRAPH_URL: `${fakes}/meta/v21.0`,
    ZAPI_BASE_URL: `${fakes}/zapi`,
    TWILIO_API_URL: `${fakes}/twilio`,
    TWILIO_TASKROUTER_URL: `${fakes}/taskrouter`,
    TELEGRAM_API_URL: `${fakes}/telegram`,
    BUILDERBOT_API_URL: `${fakes}/builderbot`,
    RETELL_API_URL: `${fakes}/retell`,
  };
}

/** Switches job delivery from local to QStash (the loopback fake, with test signing keys). */
export function qstashEnv() {
  return {
    QSTASH_URL: `${inject("fakesUrl")}/qstash`,
    QSTASH_TOKEN: "qstash-test-token",
    QSTASH_CURRENT_SIGNING_KEY: "sig_test_current_signing_key_0123456789",
    QSTASH_NEXT_SIGNING_KEY: "sig_test_next_signing_key_9876543210",
  };
}

/** Rate limits through @upstash/ratelimit against the real Redis behind the REST bridge. */
export function upstashEnv() {
  return { UPSTASH_REDIS_REST_URL: inject("upstashUrl"), UPSTASH_REDIS_REST_TOKEN: "upstash-test-token" };
}

export function testEnv(overrides: Record<string, unknown> = {}, driver: Driver = "pg"): Record<string, unknown> {
  return {
    ...bindings,
    ...TEST_SECRETS,
    ...providerUrls(),
    DATABASE_URL: inject("databaseUrl"),
    ...(driver === "neon"
      ? { DATABASE_DRIVER: "neon", NEON_WS_PROXY: inject("neonProxy") }
      : { DATABASE_DRIVER: "pg" }),
    // On PostgreSQL 15 every webhook's statements go named (src/db/prepared.ts), as on Neon; PGlite
    // is one session shared by all connections, where names would collide.
    ...(inject("databaseKind") === "postgres" ? { DATABASE_PREPARED_STATEMENTS: "on" } : {}),
    LOG_LEVEL: "warn",
    ...overrides,
  };
}
