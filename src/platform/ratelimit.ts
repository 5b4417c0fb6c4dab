import { Ratelimit } from "@upstash/ratelimit";
import { Redis } from "@upstash/redis/cloudflare";
import type { Env } from "./env";

export type RateLimitRule = { limit: number; windowSeconds: number };
export type RateLimitResult = { success: boolean; limit: number; remaining: number; reset: number };

export interface RateLimiter {
  readonly kind: "upstash" | "memory";
  /** Counts one hit of `key` in `bucket`; `reset` is when the caller may try again (epoch ms). */
  limit(bucket: string, key: string, rule: RateLimitRule): Promise<RateLimitResult>;
}

export function createRateLimiter(env: Env, waitUntil: (p: Promise<unknown>) => void): RateLimiter {
  if (env.UPSTASH_REDIS_REST_URL && env.UPSTASH_REDIS_REST_TOKEN) {
    const redis = new Redis({ url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN });
    return upstashLimiter(redis, waitUntil);
  }
  return memoryLimiter;
}

function upstashLimiter(redis: Redis, waitUntil: (p: Promise<unknown>) => void): RateLimiter {
  return {
    kind: "upstash",
    async limit(bucket, key, rule) {
      const limiter = new Ratelimit({
        redis,
        prefix: `sb:rl:${bucket}`,
        limiter: Ratelimit.slidingWindow(rule.limit, `${rule.windowSeconds} s`),
      });
      const result = await limiter.limit(key);
      waitUntil(result.pending);
      return { success: result.success, limit: result.limit, remaining: result.remaining, reset: result.reset };
    },
  };
}

type Window = { start: number; size: number; count: number; previous: number };
// In-process stand-in for Redis when Upstash is not configured: local dev runs one process, so
// a module-scoped map that outlives requests is exactly the shared state wanted there.
const windows = new Map<string, Window>();

/** Sliding window approximated from the current and previous fixed windows (as Upstash does). */
const memoryLimiter: RateLimiter = {
  kind: "memory",
  async limit(bucket, key, rule) {
    const size = rule.windowSeconds * 1000;
    const now = Date.now();
    const start = now - (now % size);
    const id = `${bucket}:${key}`;
    let w = windows.get(id);
    if (!w || w.start < start - size) w = { start, size, count: 0, previous: 0 };
    else if (w.start < start) w = { start, size, count: 0, previous: w.count };
    const weight = 1 - (now - start) / size;
    const used = Math.floor(w.previous * weight) + w.count;
    const success = used < rule.limit;
    if (success) w.count += 1;
    windows.set(id, w);
    if (windows.size > 50_000) prune(now);
    return {
      success,
      limit: rule.limit,
      remaining: Math.max(0, rule.limit - used - (success ? 1 : 0)),
      reset: start + size,
    };
  },
};

function prune(now: number) {
  for (const [id, w] of windows) if (w.start < now - 2 * w.size) windows.delete(id);
}
