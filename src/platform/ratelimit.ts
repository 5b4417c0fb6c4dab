import { Ratelimit } from "@upstash/ratelimit";
import { Redis } from "@upstash/redis/cloudflare";
import type { Env } from "./env";
import type { Logger } from "./logger";

export type RateLimitRule = { limit: number; windowSeconds: number };
export type RateLimitResult = { success: boolean; limit: number; remaining: number; reset: number };
/** Where the counters live: Upstash Redis (shared by every isolate) or this isolate's memory. */
type RateLimitStore = "upstash" | "per-isolate";

export interface RateLimiter {
  readonly kind: "upstash" | "memory";
  /** Counts one hit of `key` in `bucket`; `reset` is when the caller may try again (epoch ms). */
  limit(bucket: string, key: string, rule: RateLimitRule): Promise<RateLimitResult>;
}

/** A deployment is anything the world reaches: PUBLIC_URL on a host other than this machine. */
function isLocalUrl(url: string): boolean {
  const host = new URL(url).hostname;
  return host === "localhost" || host.endsWith(".localhost") || host === "127.0.0.1" || host === "[::1]";
}

// Keyed by the env object, which the runtime keeps for the isolate's lifetime: one warning per
// isolate in production, and one per test env (each test builds its own bindings).
const warned = new WeakSet<Env>();

function upstash(env: Env): { url: string; token: string } | undefined {
  const { UPSTASH_REDIS_REST_URL: url, UPSTASH_REDIS_REST_TOKEN: token } = env;
  return url && token ? { url, token } : undefined;
}

/**
 * The store rate limits use under `env`. A deployment without Upstash gets a per-isolate map,
 * which on many isolates is no limit at all: that is logged as an error once per isolate.
 */
export function rateLimitStore(env: Env, log: Logger): RateLimitStore {
  if (upstash(env)) return "upstash";
  if (!warned.has(env) && !isLocalUrl(env.PUBLIC_URL)) {
    warned.add(env);
    log.error("rate limits are per-isolate: set UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN", {
      publicUrl: env.PUBLIC_URL,
      rateLimits: "per-isolate",
    });
  }
  return "per-isolate";
}

export function createRateLimiter(env: Env, log: Logger, waitUntil: (p: Promise<unknown>) => void): RateLimiter {
  const redis = upstash(env);
  if (redis) return upstashLimiter(redis.url, redis.token, waitUntil);
  rateLimitStore(env, log);
  return memoryLimiter;
}

// Module scope on purpose: a Ratelimit holds no connection (every Redis call is its own fetch),
// only its settings and an ephemeral cache of keys already over their limit, which saves a Redis
// round trip for every blocked request while the isolate lives. Built per request, that cache
// was always empty. Keyed by Redis and rule, so tests with other limits or servers get their own.
const limiters = new Map<string, Ratelimit>();

function cachedRatelimit(url: string, token: string, bucket: string, rule: RateLimitRule): Ratelimit {
  const id = `${url} ${token} ${bucket} ${rule.limit}/${rule.windowSeconds}`;
  let limiter = limiters.get(id);
  if (!limiter) {
    limiter = new Ratelimit({
      redis: new Redis({ url, token }),
      prefix: `sb:rl:${bucket}`,
      limiter: Ratelimit.slidingWindow(rule.limit, `${rule.windowSeconds} s`),
    });
    limiters.set(id, limiter);
  }
  return limiter;
}

function upstashLimiter(url: string, token: string, waitUntil: (p: Promise<unknown>) => void): RateLimiter {
  return {
    kind: "upstash",
    async limit(bucket, key, rule) {
      const result = await cachedRatelimit(url, token, bucket, rule).limit(key);
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
