type PgError = { code?: string; constraint?: string };

/** The Postgres error inside `error`, wherever drizzle wrapped it, if it has `code`. */
function pgError(error: unknown, code: string): PgError | undefined {
  for (let e: unknown = error; e && typeof e === "object"; e = (e as { cause?: unknown }).cause) {
    if ((e as PgError).code === code) return e as PgError;
  }
  return undefined;
}

/** Postgres unique violation, wherever drizzle wrapped it. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const found = pgError(error, "23505");
  return found !== undefined && (constraint === undefined || found.constraint === constraint);
}

/** A Postgres error of this SQLSTATE, wherever drizzle wrapped it. */
export function isDatabaseError(error: unknown, code: string): boolean {
  return pgError(error, code) !== undefined;
}
