// The one place where untrusted text becomes database text. PostgreSQL refuses NUL in `text` and
// `jsonb`, and `jsonb` refuses a lone UTF-16 surrogate (JSON.stringify writes it as "\udXXX"): a
// single such character in a customer's message used to fail the whole ingest transaction, so the
// provider retried the same body until it gave up and the message was lost. Webhooks keep the
// exact body as bytes (bytea) and clean what they normalize; the API refuses such input with a 400
// that names the field.

// A NUL, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching NUL is the point of this pattern
const UNSAFE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const UNSAFE_TEST = new RegExp(UNSAFE.source);

/** NUL removed, lone surrogates replaced by U+FFFD; every other character kept. */
export function cleanText(value: string): string {
  if (!UNSAFE_TEST.test(value)) return value;
  return value.replace(UNSAFE, (char) => (char === "\u0000" ? "" : "\ufffd"));
}

/** Deeper JSON is not kept in normalized fields (the exact body stays in webhook_events). */
export const MAX_JSON_DEPTH = 64;
export const TOO_DEEP = `[nested deeper than ${MAX_JSON_DEPTH} levels]`;

/**
 * A copy of a JSON-like value with every string (keys included) cleaned, and every object or
 * array nested deeper than MAX_JSON_DEPTH replaced by TOO_DEEP: recursion here, in
 * JSON.stringify and in PostgreSQL's jsonb parser stays bounded whatever a hostile body holds.
 * Values without unsafe text come back as they are, so the common case allocates nothing.
 */
export function cleanDeep<T>(value: T): T {
  return clean(value, 0) as T;
}

function clean(value: unknown, depth: number): unknown {
  if (typeof value === "string") return cleanText(value);
  if (value === null || typeof value !== "object") return value;
  if (depth >= MAX_JSON_DEPTH) return TOO_DEEP;
  if (value instanceof Date || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, i) => {
      const cleaned = clean(item, depth + 1);
      if (cleaned !== item) {
        copy ??= value.slice();
        copy[i] = cleaned;
      }
    });
    return copy ?? value;
  }
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const cleanKey = cleanText(key);
    const cleaned = clean(item, depth + 1);
    if (cleanKey !== key || cleaned !== item) {
      copy ??= { ...(value as Record<string, unknown>) };
      if (cleanKey !== key) delete copy[key];
      copy[cleanKey] = cleaned;
    }
  }
  return copy ?? value;
}

/**
 * Where a value holds what the database cannot store: the path of the first string with NUL or an
 * unpaired surrogate, or of the first object nested deeper than MAX_JSON_DEPTH; else null.
 */
export function findUnsafeText(value: unknown, path: (string | number)[] = []): (string | number)[] | null {
  if (typeof value === "string") return UNSAFE_TEST.test(value) ? path : null;
  if (value === null || typeof value !== "object") return null;
  if (path.length >= MAX_JSON_DEPTH) return path;
  const entries: [string | number, unknown][] = Array.isArray(value)
    ? value.map((item, i) => [i, item])
    : Object.entries(value);
  for (const [key, item] of entries) {
    if (typeof key === "string" && UNSAFE_TEST.test(key)) return [...path, key];
    const found = findUnsafeText(item, [...path, key]);
    if (found) return found;
  }
  return null;
}
