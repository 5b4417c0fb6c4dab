import * as z from "zod";
// With its extension: scripts/secrets-put.ts loads this file in plain Node, which resolves no alias.
import { keyList } from "./crypto.ts";

/** Neon's hosts, where "auto" picks its driver and names statements (src/platform/db.ts). */
export const isNeonHost = (url: string) => new URL(url).hostname.endsWith(".neon.tech");

const optional = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));
const optionalUrl = optional.pipe(z.url().optional());
const flag = z
  .union([z.boolean(), z.string()])
  .optional()
  .transform((v) => v === true || v === "true" || v === "1");

/** The Worker's bindings, parsed once per env object. Unknown keys pass through untouched. */
export const envSchema = z.object({
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL"),
  /** "auto" picks the Neon driver for *.neon.tech hosts and node-postgres otherwise. */
  DATABASE_DRIVER: z.enum(["auto", "neon", "pg"]).default("auto"),
  /**
   * Whether the statements every webhook runs go as named (prepared) statements. "auto": on for
   * *.neon.tech hosts, whose pooler (PgBouncer 1.22+) keeps them per server connection; off
   * elsewhere, since a transaction pooler that does not track them (PgBouncer before 1.21) fails
   * them, as does one PGlite shared by many connections. See src/db/prepared.ts.
   */
  DATABASE_PREPARED_STATEMENTS: z.enum(["auto", "on", "off"]).default("auto"),
  /** host:port/path of a WebSocket-to-TCP proxy for the Neon driver (local and tests only). */
  NEON_WS_PROXY: optional,
  /**
   * 32 bytes, base64: the AES-GCM key for credentials at rest. A comma-separated list rotates keys:
   * the first seals, every listed one still opens what it sealed (README, "Rotating keys").
   */
  ENCRYPTION_KEY: z
    .string()
    .refine(
      (v) => keyList(v).length > 0 && keyList(v).every((k) => base64Length(k) === 32),
      "must be 32 random bytes, base64 encoded",
    ),
  /** HMAC secret of access tokens; a comma-separated list rotates them (the first signs). */
  JWT_SECRET: z
    .string()
    .refine((v) => keyList(v).length > 0 && keyList(v).every((k) => k.length >= 32), "must be at least 32 characters"),
  JWT_TTL_SECONDS: z.coerce
    .number()
    .int()
    .positive()
    .default(12 * 3600),
  LOGIN_WINDOW_SECONDS: z.coerce.number().int().positive().default(900),
  LOGIN_MAX_PER_EMAIL: z.coerce.number().int().positive().default(10),
  LOGIN_MAX_PER_IP: z.coerce.number().int().positive().default(50),
  REGISTER_MAX_PER_IP: z.coerce.number().int().positive().default(20),
  PUBLIC_URL: z.url().default("http://localhost:8787"),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  SANDBOX: flag,
  UPSTASH_REDIS_REST_URL: optionalUrl,
  UPSTASH_REDIS_REST_TOKEN: optional,
  QSTASH_URL: optionalUrl,
  QSTASH_TOKEN: optional,
  QSTASH_CURRENT_SIGNING_KEY: optional,
  QSTASH_NEXT_SIGNING_KEY: optional,
  LOCAL_JOBS_SIGNING_KEY: optional,
  /** Provider API base URLs: production defaults; tests point them at loopback fakes. */
  META_GRAPH_URL: optionalUrl,
  ZAPI_BASE_URL: optionalUrl,
  TWILIO_API_URL: optionalUrl,
  /** TaskRouter's REST API (reservations of unanswered agent calls are rejected through it). */
  TWILIO_TASKROUTER_URL: optionalUrl,
  TELEGRAM_API_URL: optionalUrl,
  /** BuilderBot's API base; a channel's own apiUrl config wins. */
  BUILDERBOT_API_URL: optionalUrl,
  /** Retell's REST API (agents, phone calls); default https://api.retellai.com. */
  RETELL_API_URL: optionalUrl,
  /** Webhook deliveries one channel may make per minute before 429. */
  WEBHOOK_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(1200),
  /** API requests per minute per organization, and per API key within it. */
  API_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(1200),
  API_KEY_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(600),
  /** The deployment's model access; an organization may bring its own through /api/integrations/openai. */
  OPENAI_API_KEY: optional,
  OPENAI_BASE_URL: optionalUrl,
  /** How long one model request may take before it is abandoned (and its job retried). */
  OPENAI_TIMEOUT_SECONDS: z.coerce.number().positive().max(300).default(30),
  /** Voice notes: the transcription model, and the limits over which a note is not transcribed (25 MB is OpenAI's). */
  OPENAI_TRANSCRIBE_MODEL: z.string().min(1).default("whisper-1"),
  TRANSCRIBE_MAX_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(25 * 1024 * 1024),
  TRANSCRIBE_MAX_SECONDS: z.coerce.number().positive().default(600),
  /** The model that reads a ticket for its insights (sentiment, intent, category, urgency, churn risk). */
  OPENAI_INSIGHTS_MODEL: z.string().min(1).default("gpt-4o-mini"),
  /** The knowledge base: the embedding model, and the cosine similarity under which a passage is left out of a prompt. */
  OPENAI_EMBEDDING_MODEL: z.string().min(1).default("text-embedding-3-small"),
  /**
   * One-time codes, the seed's defaults (organizations may change them, PATCH /api/otp/settings):
   * lifetime (at most 10 minutes, NIST SP 800-63B), checks per code, sends per phone and purpose
   * in a sliding window, and the deployment's ceiling of sends per organization and clock hour
   * (an organization may lower it, never raise it).
   */
  OTP_TTL_SECONDS: z.coerce.number().int().min(30).max(600).default(300),
  OTP_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(5),
  OTP_RATE_LIMIT_MAX: z.coerce.number().int().min(1).max(20).default(3),
  OTP_RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(60).max(86_400).default(900),
  OTP_ORG_MAX_PER_HOUR: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  /** Days a challenge is kept after it ended (it ends at the latest when it expires); then the cron deletes it. */
  OTP_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(7),
  /**
   * The HMAC keys of stored codes, comma-separated, the current one first: codes are hashed with
   * the first; the others still verify the challenges they hashed until those expire. Without it
   * the code endpoints answer 500 (misconfigured) and nothing else changes.
   */
  OTP_PEPPER: optional.pipe(
    z
      .string()
      .refine((v) => v.split(",").every((key) => key.trim().length >= 32), "each key must have 32+ characters")
      .refine((v) => new Set(v.split(",").map((key) => key.trim())).size === v.split(",").length, "a key is repeated")
      .optional(),
  ),
  KNOWLEDGE_MIN_SCORE: z.coerce.number().min(-1).max(1).default(0.2),
  /** Phones and e-mails masked in list responses unless revealed (README); an organization may override it. */
  PII_MASKING_ENABLED: z
    .union([z.boolean(), z.string()])
    .optional()
    .transform((v) => !(v === false || v === "false" || v === "0")),
  /** Tickets the SLA sweep judges per transaction (src/sla/sweep.ts). */
  SLA_SWEEP_BATCH_SIZE: z.coerce.number().int().min(1).max(5000).default(200),
});

export type Env = z.infer<typeof envSchema>;
/** What the runtime hands us: strings (vars and secrets) and bindings. */
export type Bindings = Record<string, unknown>;

function base64Length(value: string): number {
  try {
    return atob(value).length;
  } catch {
    return -1;
  }
}

// No constructor parameter properties: scripts/secrets-put.ts loads this file in Node, whose
// type stripping does not support them.
export class EnvError extends Error {
  readonly issues: string[];
  constructor(issues: string[]) {
    super(`invalid environment: ${issues.join("; ")}`);
    this.issues = issues;
  }
}

// Deliberately module-scoped: the runtime reuses one bindings object per isolate, so the
// parse runs once per isolate instead of once per request.
const parsed = new WeakMap<object, Env>();

export function parseEnv(bindings: Bindings): Env {
  const cached = parsed.get(bindings);
  if (cached) return cached;
  const result = envSchema.safeParse(bindings);
  if (!result.success) {
    // Names only: values may be secrets.
    throw new EnvError(result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));
  }
  parsed.set(bindings, result.data);
  return result.data;
}
