import type { AppContext } from "./app";
import { ApiError } from "./errors";
import { createRateLimiter, type RateLimitRule } from "./ratelimit";

/** The caller's IP as Cloudflare reports it; "unknown" where no edge sits in front (local dev). */
export function clientIp(c: AppContext): string {
  return c.req.header("cf-connecting-ip") ?? "unknown";
}

export async function enforceRateLimit(c: AppContext, bucket: string, key: string, rule: RateLimitRule) {
  const { env, log, waitUntil } = c.var.services;
  const result = await createRateLimiter(env, log, waitUntil).limit(bucket, key, rule);
  const headers = { "ratelimit-limit": String(result.limit), "ratelimit-remaining": String(result.remaining) };
  if (!result.success) {
    const retryAfter = Math.max(1, Math.ceil((result.reset - Date.now()) / 1000));
    c.var.services.log.warn("rate limited", { bucket, retryAfter });
    throw new ApiError("RATE_LIMITED", `Too many requests; retry in ${retryAfter} s.`, { retryAfter, headers });
  }
  for (const [name, value] of Object.entries(headers)) c.header(name, value);
}
