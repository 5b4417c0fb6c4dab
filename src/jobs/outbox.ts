import { outbox } from "@/db/schema";
import type { Executor } from "@/platform/db";

export type NewJob = {
  name: string;
  payload: Record<string, unknown>;
  organizationId: string | null;
  /** A natural key: a second enqueue with the same key is a no-op (e.g. one send job per message). */
  dedupeKey?: string;
  maxAttempts?: number;
};

export type OutboxRow = typeof outbox.$inferSelect;

/**
 * Writes jobs in the caller's transaction, so they exist exactly when the state that caused them
 * commits. Hand the returned rows to `dispatch` after the commit.
 */
export async function enqueue(db: Executor, jobs: NewJob[]): Promise<OutboxRow[]> {
  if (jobs.length === 0) return [];
  return db
    .insert(outbox)
    .values(
      jobs.map((job) => ({
        name: job.name,
        payload: job.payload,
        organizationId: job.organizationId,
        dedupeKey: job.dedupeKey ?? null,
        ...(job.maxAttempts ? { maxAttempts: job.maxAttempts } : {}),
      })),
    )
    .onConflictDoNothing({ target: outbox.dedupeKey })
    .returning();
}
