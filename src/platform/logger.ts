/** Structured JSON logs, one object per line, with phone numbers and e-mails masked. */
export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

// The lookbehind makes a match start only where a local part starts: without it a long run of
// letters with no "@" was rescanned from every position (quadratic; seconds of CPU per log line).
const EMAIL =
  /(?<![A-Za-z0-9._%+-])([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})/g;
// A run of 8+ digits (spaces, dots, dashes and parentheses allowed between them), not glued to a
// word or a dash, so UUIDs and ISO timestamps are left alone.
const PHONE = /(?<![\w-])\+?\d[\d\s().-]{6,}\d(?![\w-])/g;

export function maskPhone(value: string): string {
  const digits = value.replace(/\D/g, "");
  if (digits.length < 8) return value;
  const plus = value.trim().startsWith("+") ? "+" : "";
  return `${plus}${digits.slice(0, 2)}${"*".repeat(digits.length - 6)}${digits.slice(-4)}`;
}

export function maskPii(text: string): string {
  return text
    .replace(EMAIL, (_m, first: string, domain: string) => `${first}***@${domain}`)
    .replace(PHONE, (match) => maskPhone(match));
}

/** Longer strings are cut in logs: a hostile body must not make a log line huge or slow to mask. */
export const MAX_LOGGED_STRING = 2_000;

function clip(text: string): string {
  return text.length <= MAX_LOGGED_STRING
    ? text
    : `${text.slice(0, MAX_LOGGED_STRING)}…(${text.length - MAX_LOGGED_STRING} more characters)`;
}

function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return maskPii(clip(value));
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (value instanceof Error) {
    const { code } = value as { code?: unknown };
    return {
      name: value.name,
      message: maskPii(clip(value.message)),
      ...(code === undefined ? {} : { code }),
      ...(value.cause === undefined ? {} : { cause: scrub(value.cause, depth + 1) }),
    };
  }
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrub(v, depth + 1);
  return out;
}

export type Logger = {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
};

export function createLogger(level: LogLevel = "info", base: LogFields = {}): Logger {
  const emit = (lvl: LogLevel, msg: string, fields?: LogFields) => {
    if (order[lvl] < order[level]) return;
    const line = JSON.stringify(scrub({ level: lvl, msg, time: new Date().toISOString(), ...base, ...fields }));
    if (lvl === "error") console.error(line);
    else if (lvl === "warn") console.warn(line);
    else console.log(line);
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (fields) => createLogger(level, { ...base, ...fields }),
  };
}
