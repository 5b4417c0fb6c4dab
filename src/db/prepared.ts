import type { SQL } from "drizzle-orm";

// Named (prepared) statements for the few statements every webhook runs. PostgreSQL parses,
// analyses and rewrites an unnamed statement on every execution (about 0.8 ms of a returning
// customer's 1.4 ms on a warm backend, README "Benchmark"); a named one once per server
// connection. Behind a transaction pooler that tracks them (PgBouncer 1.21 and later with
// max_prepared_statements, which Neon's -pooler host runs), a server connection outlives the
// request, so the next webhook on it skips that work. Only marked statements are named: their
// plans do not depend on an organization's size, so a generic plan (which PostgreSQL may pick
// after five executions) is as good as a custom one. A search, say, is never marked.

const marked = new WeakSet<SQL>();
/** Statement text to name, for the texts marked statements compiled to (a handful per isolate). */
const names = new Map<string, string>();
const MAX_NAMES = 256;

/** Marks `query` to run as a named statement where the connection allows (DATABASE_PREPARED_STATEMENTS). */
export function prepared(query: SQL): SQL {
  marked.add(query);
  return query;
}

/** Called by the compiler with each statement's text: remembers the names of marked ones. */
export function noteCompiled(query: SQL, text: string): void {
  if (!marked.has(query) || names.has(text)) return;
  // A statement whose text varies without bound would grow this forever: start over instead.
  if (names.size >= MAX_NAMES) names.clear();
  names.set(text, `sb_${hash(text)}`);
}

/** The name to prepare `text` under, when a marked statement compiled to it. */
export function statementName(text: string): string | undefined {
  return names.get(text);
}

/**
 * 53 bits of the text (cyrb53): the same text gets the same name in every isolate, and two texts
 * one connection prepares never share one. PgBouncer renames client statements anyway; a direct
 * connection lives for one request.
 */
function hash(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}
