// Bindings for tests, on top of what wrangler.toml declares. Secrets here are test-only values.
import { env as bindings } from "cloudflare:workers";
import { inject } from "vitest";

export type Driver = "pg" | "neon";
export const drivers: Driver[] = ["pg", "neon"];

export const TEST_SECRETS = {
  ENCRYPTION_KEY: "dGVzdC1vbmx5LWVuY3J5cHRpb24ta2V5LTMyLWJ5dGU=",
  JWT_SECRET: "test-only-jwt-secret-at-least-32-characters-long",
  LOCAL_JOBS_SIGNING_KEY: "test-only-local-jobs-signing-key",
};

export function testEnv(overrides: Record<string, unknown> = {}, driver: Driver = "pg"): Record<string, unknown> {
  return {
    ...bindings,
    ...TEST_SECRETS,
    DATABASE_URL: inject("databaseUrl"),
    ...(driver === "neon"
      ? { DATABASE_DRIVER: "neon", NEON_WS_PROXY: inject("neonProxy") }
      : { DATABASE_DRIVER: "pg" }),
    LOG_LEVEL: "warn",
    ...overrides,
  };
}
