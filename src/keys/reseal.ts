// Re-encryption: every sealed value not under the current ENCRYPTION_KEY is opened with the key
// it names and sealed again with the current one, in batches, by compare-and-set. Shared by the
// keys.reencrypt job (one organization) and `npm run keys:reencrypt` (all of them), so it imports
// with extensions and talks to any drizzle database through `execute`.
import type { SQL } from "drizzle-orm";
import { currentKey, decryptSecret, encryptSecret } from "../platform/crypto.ts";
import { countByKey, type SealedField, type SealedRow, sealedFields, staleRows } from "./sealed.ts";

export type SqlRunner = { execute(query: SQL): Promise<{ rows: unknown[] }> };

export type ResealTotals = { resealed: number; failed: number; raced: number };
export type ResealProgress = ResealTotals & {
  /** Where the next batch starts: the field's index and the last id seen; null when done. */
  next: { field: number; after: string | null } | null;
  /** Fields and ids (the first hundred) of values no listed key opens (sealed with a key already removed?). */
  failures: { field: string; id: string }[];
};

/**
 * Re-seals up to `batchSize` values at a time, starting at `from`, until everything is done or
 * `deadline` (ms since epoch) passes. Safe to run twice, or concurrently: a value already under the
 * current key is not selected, and a value edited meanwhile is left to its newer writer.
 */
export async function reseal(
  db: SqlRunner,
  keys: string,
  options: {
    organizationId?: string;
    from?: { field: number; after: string | null };
    batchSize?: number;
    deadline?: number;
  } = {},
): Promise<ResealProgress> {
  const { kid } = await currentKey(keys);
  const batchSize = options.batchSize ?? 100;
  const progress: ResealProgress = { resealed: 0, failed: 0, raced: 0, next: null, failures: [] };
  let fieldIndex = options.from?.field ?? 0;
  let after = options.from?.after ?? null;
  while (fieldIndex < sealedFields.length) {
    if (options.deadline !== undefined && Date.now() > options.deadline) {
      progress.next = { field: fieldIndex, after };
      return progress;
    }
    const field = sealedFields[fieldIndex] as SealedField;
    const { rows } = await db.execute(
      staleRows(field, {
        kid,
        organizationId: options.organizationId,
        after: after ?? undefined,
        limit: batchSize,
      }),
    );
    for (const row of rows as SealedRow[]) {
      after = row.id;
      const context = field.context(row);
      let plaintext: string;
      try {
        plaintext = await decryptSecret(keys, row.sealed, context);
      } catch {
        progress.failed += 1;
        if (progress.failures.length < 100) progress.failures.push({ field: field.name, id: row.id });
        continue;
      }
      const next = await encryptSecret(keys, plaintext, context);
      const written = await db.execute(field.update(row, next));
      const count = (written as { rowCount?: number | null }).rowCount ?? 0;
      if (count > 0) progress.resealed += 1;
      else progress.raced += 1;
    }
    if (rows.length < batchSize) {
      fieldIndex += 1;
      after = null;
    }
  }
  return progress;
}

/** Per sealed field, how many values each key id sealed (`v1` for values that name no key). */
export async function sealedByKey(db: SqlRunner, organizationId?: string) {
  const result: Record<string, Record<string, number>> = {};
  for (const field of sealedFields) {
    const { rows } = await db.execute(countByKey(field, organizationId));
    result[field.name] = Object.fromEntries((rows as { kid: string; count: number }[]).map((r) => [r.kid, r.count]));
  }
  return result;
}
