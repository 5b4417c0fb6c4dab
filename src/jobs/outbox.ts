import { getTableColumns, sql } from "drizzle-orm";
import type { PgInsertValue } from "drizzle-orm/pg-core";
import { outbox } from "@/db/schema";
import type { Executor } from "@/platform/db";

export type NewJob = {
  name: string;
  payload: Record<string, unknown>;
  organizationId: string | null;
  /** A natural key: a second enqueue with the same key is a no-op (e.g. one send job per message). */
  dedupeKey?: string;
  maxAttempts?: number;
  /** Not before this many seconds from now (database clock): QStash delays it, the local sweep waits. */
  delaySeconds?: number;
};

export type OutboxRow = typeof outbox.$inferSelect;
/** A row as enqueued: with the delay it was asked for, measured on the database's clock. */
export type QueuedJob = OutboxRow & { delaySeconds?: number };

/** What dispatch needs of an enqueued job. */
export type DispatchableJob = Pick<OutboxRow, "id" | "name" | "payload" | "maxAttempts"> & { delaySeconds?: number };

/** A job's outbox row, for `enqueue` and for statements that write one conditionally (insertSelect). */
export function outboxValues(job: NewJob): PgInsertValue<typeof outbox> {
  return {
    name: job.name,
    payload: job.payload,
    organizationId: job.organizationId,
    dedupeKey: job.dedupeKey ?? null,
    ...(job.maxAttempts ? { maxAttempts: job.maxAttempts } : {}),
    ...(job.delaySeconds ? { nextAttemptAt: sql`now() + make_interval(secs => ${job.delaySeconds})` } : {}),
  };
}

/**
 * Writes jobs in the caller's transaction, so they exist exactly when the state that caused them
 * commits. Hand the returned rows to `dispatch` after the commit.
 */
export async function enqueue(db: Executor, jobs: NewJob[]): Promise<QueuedJob[]> {
  if (jobs.length === 0) return [];
  return db
    .insert(outbox)
    .values(jobs.map(outboxValues))
    .onConflictDoNothing({ target: outbox.dedupeKey })
    .returning({
      ...getTableColumns(outbox),
      delaySeconds: sql<number>`ceil(greatest(0, extract(epoch from ${outbox.nextAttemptAt} - now())))::int`,
    });
}
