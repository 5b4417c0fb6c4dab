// npm run secrets:put gives each function exactly the secrets it reads, and refuses a file that
// would deploy a broken or surprising configuration.
import { describe, expect, it } from "vitest";
import { deployTargets } from "../../scripts/deploy-config";
import { isNeonDirectHost, reviewSecrets, secretsOf } from "../../scripts/secrets-put";

const valid = {
  DATABASE_URL: "postgres://user:pass@ep-x-pooler.us-east-2.aws.neon.tech/db?sslmode=require",
  ENCRYPTION_KEY: "dGVzdC1vbmx5LWVuY3J5cHRpb24ta2V5LTMyLWJ5dGU=",
  JWT_SECRET: "test-only-jwt-secret-at-least-32-characters-long",
  QSTASH_TOKEN: "qstash-token",
  QSTASH_CURRENT_SIGNING_KEY: "sig_current",
  QSTASH_NEXT_SIGNING_KEY: "sig_next",
  UPSTASH_REDIS_REST_URL: "https://eu1-redis.upstash.io",
  UPSTASH_REDIS_REST_TOKEN: "redis-token",
  OTP_PEPPER: "test-only-otp-pepper-at-least-32-characters",
};

describe("secrets per function", () => {
  it("gives every function the database, encryption, JWT and job publishing secrets", () => {
    for (const fn of deployTargets()) {
      expect(secretsOf(fn)).toEqual(
        expect.arrayContaining(["DATABASE_URL", "ENCRYPTION_KEY", "JWT_SECRET", "QSTASH_TOKEN"]),
      );
    }
  });

  it("gives QStash's signing keys to the jobs function only, and Upstash to the functions that rate-limit", () => {
    const withSigningKeys = deployTargets().filter((fn) => secretsOf(fn).includes("QSTASH_CURRENT_SIGNING_KEY"));
    expect(withSigningKeys).toEqual(["gateway", "jobs"]);
    const withUpstash = deployTargets().filter((fn) => secretsOf(fn).includes("UPSTASH_REDIS_REST_TOKEN"));
    expect(withUpstash).toEqual(deployTargets().filter((fn) => !["jobs", "cron"].includes(fn)));
  });

  it("gives the OTP pepper to the functions that hash, check and send codes", () => {
    expect(deployTargets().filter((fn) => secretsOf(fn).includes("OTP_PEPPER"))).toEqual(["gateway", "api", "jobs"]);
  });

  it("warns without an OTP pepper and refuses a short or repeated key in it", () => {
    const { OTP_PEPPER: _pepper, ...rest } = valid;
    expect(reviewSecrets(rest).warnings).toEqual([
      "no OTP_PEPPER: POST /api/otp and /api/otp/verify will answer 500 (misconfigured)",
    ]);
    expect(reviewSecrets({ ...valid, OTP_PEPPER: `${valid.OTP_PEPPER},short` }).errors).toEqual([
      "OTP_PEPPER: each key must have 32+ characters",
    ]);
    expect(reviewSecrets({ ...valid, OTP_PEPPER: `${valid.OTP_PEPPER}, ${valid.OTP_PEPPER}` }).errors).toEqual([
      "OTP_PEPPER: a key is repeated",
    ]);
  });

  it("accepts a complete file without a warning", () => {
    expect(reviewSecrets(valid)).toEqual({ errors: [], warnings: [] });
  });

  it("warns when the functions would reach Neon by its direct host instead of its pooler", () => {
    const direct = "postgres://user:pass@ep-x.us-east-2.aws.neon.tech/db?sslmode=require";
    expect(reviewSecrets({ ...valid, DATABASE_URL: direct })).toEqual({
      errors: [],
      warnings: [expect.stringMatching(/^DATABASE_URL is Neon's direct host: .* use the -pooler host/)],
    });
    expect(isNeonDirectHost(direct)).toBe(true);
    expect(isNeonDirectHost(valid.DATABASE_URL)).toBe(false);
    // Not Neon, or not an endpoint's host: nothing to say.
    expect(isNeonDirectHost("postgres://postgres@127.0.0.1:5432/test")).toBe(false);
    expect(isNeonDirectHost("postgres://u:p@db.example.com/app")).toBe(false);
    expect(isNeonDirectHost("not a url")).toBe(false);
  });

  it("refuses a typo, a short key and QStash without its signing keys", () => {
    const { errors } = reviewSecrets({
      ...valid,
      JWT_SECRT: "x",
      ENCRYPTION_KEY: "c2hvcnQ=",
      QSTASH_NEXT_SIGNING_KEY: "",
    });
    expect(errors).toEqual([
      "JWT_SECRT is not a secret any function reads (a typo?)",
      "ENCRYPTION_KEY: must be 32 random bytes, base64 encoded",
      "QSTASH_TOKEN without QSTASH_CURRENT_SIGNING_KEY and QSTASH_NEXT_SIGNING_KEY: jobs would refuse every delivery",
    ]);
  });

  it("accepts key lists for rotation (current first) and refuses a list with one bad key", () => {
    const rotated = {
      ...valid,
      ENCRYPTION_KEY: `bmV3LWtleS1mb3ItdGhlLXJvdGF0aW9uLXRlc3QtMzI=,${valid.ENCRYPTION_KEY}`,
      JWT_SECRET: `new-jwt-secret-of-the-rotation-at-least-32-chars,${valid.JWT_SECRET}`,
    };
    expect(reviewSecrets(rotated)).toEqual({ errors: [], warnings: [] });
    expect(reviewSecrets({ ...rotated, ENCRYPTION_KEY: `${valid.ENCRYPTION_KEY},c2hvcnQ=` }).errors).toEqual([
      "ENCRYPTION_KEY: must be 32 random bytes, base64 encoded",
    ]);
  });

  it("warns that rate limits will be per-isolate without Upstash", () => {
    const { UPSTASH_REDIS_REST_URL: _url, UPSTASH_REDIS_REST_TOKEN: _token, ...rest } = valid;
    expect(reviewSecrets(rest).warnings).toEqual([
      "no UPSTASH_REDIS_REST_URL/TOKEN: rate limits will be per-isolate, which is no limit at all",
    ]);
  });
});
