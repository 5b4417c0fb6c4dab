// npm run secrets:put [-- --file .prod.vars] [--env <function> ...] [--dry-run]
// Sets, on every deployable function (or the --env ones), exactly the secrets it reads, from one
// KEY=VALUE file (default .prod.vars, gitignored; .prod.vars.example lists the names). One
// `wrangler secret bulk` per function, which creates the Worker if it is not deployed yet.
// Values are checked with the Workers' own env schema first, so a bad key never reaches them.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { envSchema, isNeonHost } from "../src/platform/env.ts";
import { deployTargets } from "./deploy-config.ts";
import { parseVars } from "./dev-vars.ts";

/** Every function parses these at its entry (src/platform/env.ts) and fails closed without them. */
const REQUIRED = ["DATABASE_URL", "ENCRYPTION_KEY", "JWT_SECRET"];
/** Every function commits jobs and publishes them after the commit (src/jobs/dispatch.ts). */
const PUBLISHES_JOBS = ["QSTASH_TOKEN", "QSTASH_URL", "LOCAL_JOBS_SIGNING_KEY"];
/** The jobs function verifies each delivery (src/jobs/endpoint.ts). */
const VERIFIES_JOBS = ["QSTASH_CURRENT_SIGNING_KEY", "QSTASH_NEXT_SIGNING_KEY", "LOCAL_JOBS_SIGNING_KEY"];
/** Functions that rate-limit: the API (logins, organizations, API keys) and every webhook (channels). */
const RATE_LIMITS = ["UPSTASH_REDIS_REST_URL", "UPSTASH_REDIS_REST_TOKEN"];
const AI = ["OPENAI_API_KEY", "OPENAI_BASE_URL"];
/** One-time codes: the API hashes and seals codes with it, the jobs function opens them to send. */
const OTP = ["OTP_PEPPER"];

/** The secrets each function reads; the README's deployment table says the same. */
export function secretsOf(fn: string): string[] {
  const names = [...REQUIRED, ...PUBLISHES_JOBS];
  if (fn === "gateway" || fn === "jobs") names.push(...VERIFIES_JOBS);
  if (fn === "gateway" || fn === "api" || fn.startsWith("webhooks-")) names.push(...RATE_LIMITS);
  if (fn === "gateway" || fn === "api") names.push(...AI);
  if (fn === "gateway" || fn === "api" || fn === "jobs") names.push(...OTP);
  return [...new Set(names)];
}

const known = new Set([...REQUIRED, ...PUBLISHES_JOBS, ...VERIFIES_JOBS, ...RATE_LIMITS, ...AI, ...OTP]);

/**
 * A Neon endpoint's own host (ep-<name>.<region>.aws.neon.tech) rather than its pooler's
 * (ep-<name>-pooler...). The functions connect once per invocation, so only the pooler gives them
 * a warm server connection; migrations, which need a session, take the direct one.
 */
export function isNeonDirectHost(url: string | undefined): boolean {
  if (!url || !URL.canParse(url) || !isNeonHost(url)) return false;
  const endpoint = new URL(url).hostname.split(".")[0] ?? "";
  return endpoint.startsWith("ep-") && !endpoint.endsWith("-pooler");
}

/** Problems with the file's values, and warnings about production defaults they leave in place. */
export function reviewSecrets(values: Record<string, string>): { errors: string[]; warnings: string[] } {
  const errors = Object.keys(values)
    .filter((name) => !known.has(name))
    .map((name) => `${name} is not a secret any function reads (a typo?)`);
  const parsed = envSchema.safeParse({ ...values, PUBLIC_URL: "https://deployment.invalid" });
  if (!parsed.success) errors.push(...parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));
  const warnings: string[] = [];
  if (!values.UPSTASH_REDIS_REST_URL || !values.UPSTASH_REDIS_REST_TOKEN) {
    warnings.push("no UPSTASH_REDIS_REST_URL/TOKEN: rate limits will be per-isolate, which is no limit at all");
  }
  if (isNeonDirectHost(values.DATABASE_URL)) {
    warnings.push(
      "DATABASE_URL is Neon's direct host: every invocation would start a PostgreSQL backend of its own (max_connections at most, each paying about ten times the database CPU of a warm one); use the -pooler host (README, Deployment)",
    );
  }
  if (!values.OTP_PEPPER) {
    warnings.push("no OTP_PEPPER: POST /api/otp and /api/otp/verify will answer 500 (misconfigured)");
  }
  if (values.QSTASH_TOKEN && !(values.QSTASH_CURRENT_SIGNING_KEY && values.QSTASH_NEXT_SIGNING_KEY)) {
    errors.push(
      "QSTASH_TOKEN without QSTASH_CURRENT_SIGNING_KEY and QSTASH_NEXT_SIGNING_KEY: jobs would refuse every delivery",
    );
  }
  if (!values.QSTASH_TOKEN) {
    if (!values.LOCAL_JOBS_SIGNING_KEY)
      errors.push("neither QSTASH_TOKEN nor LOCAL_JOBS_SIGNING_KEY: no job can be delivered");
    else
      warnings.push(
        "no QSTASH_TOKEN: jobs go over HTTP once, signed with LOCAL_JOBS_SIGNING_KEY, retried only by the cron",
      );
  }
  return { errors, warnings };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = path.resolve(import.meta.dirname, "..");
  const { values: args } = parseArgs({
    options: {
      file: { type: "string", default: ".prod.vars" },
      env: { type: "string", multiple: true },
      "dry-run": { type: "boolean", default: false },
    },
  });
  const file = path.resolve(root, args.file);
  if (!existsSync(file)) {
    console.error(`${args.file} not found: cp .prod.vars.example .prod.vars and fill it in`);
    process.exit(1);
  }
  const values = Object.fromEntries(Object.entries(parseVars(readFileSync(file, "utf8"))).filter(([, v]) => v !== ""));
  const { errors, warnings } = reviewSecrets(values);
  for (const warning of warnings) console.warn(`warning: ${warning}`);
  for (const error of errors) console.error(`error: ${error}`);
  if (errors.length > 0) process.exit(1);
  // Without --env: every function, for per-function deploys; the gateway is asked for by name.
  const targets = args.env ?? deployTargets().filter((fn) => fn !== "gateway");
  for (const fn of targets) {
    if (!deployTargets().includes(fn)) {
      console.error(`no [env.${fn}] in wrangler.toml`);
      process.exit(1);
    }
    const secrets = Object.fromEntries(secretsOf(fn).flatMap((name) => (values[name] ? [[name, values[name]]] : [])));
    console.log(`${fn}: ${Object.keys(secrets).join(", ")}${args["dry-run"] ? " (dry run: nothing set)" : ""}`);
    if (args["dry-run"]) continue;
    execFileSync(path.join(root, "node_modules", ".bin", "wrangler"), ["secret", "bulk", "--env", fn], {
      cwd: root,
      input: JSON.stringify(secrets),
      stdio: ["pipe", "inherit", "inherit"],
    });
  }
}
