/** Backslash is Postgres's default LIKE escape, so user input cannot smuggle in wildcards. */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, "\\$&");
}

/** A LIKE pattern for text containing `value` anywhere (a trigram index serves it from 3 characters). */
export function containing(value: string): string {
  return `%${escapeLike(value)}%`;
}
