import { and, desc, eq, inArray, lt } from "drizzle-orm";
import { type JobStatus, outbox } from "@/db/schema";
import type { Executor } from "@/platform/db";
import { ApiError } from "@/platform/errors";
import type { OutboxRow } from "./outbox";

/** An organization's jobs, newest first, e.g. its dead letters. */
export async function listJobs(
  db: Executor,
  organizationId: string,
  filter: { status?: JobStatus; name?: string },
  page: { limit: number; after?: string },
) {
  return db
    .select()
    .from(outbox)
    .where(
      and(
        eq(outbox.organizationId, organizationId),
        filter.status ? eq(outbox.status, filter.status) : undefined,
        filter.name ? eq(outbox.name, filter.name) : undefined,
        page.after ? lt(outbox.id, page.after) : undefined,
      ),
    )
    .orderBy(desc(outbox.id))
    .limit(page.limit + 1);
}

/** Makes a dead or failed job pending again from its first attempt; dispatch it after the commit. */
export async function retryJob(db: Executor, organizationId: string, id: string): Promise<OutboxRow> {
  const [row] = await db
    .update(outbox)
    .set({ status: "pending", attempts: 0, nextAttemptAt: new Date(), lockedUntil: null })
    .where(
      and(eq(outbox.organizationId, organizationId), eq(outbox.id, id), inArray(outbox.status, ["dead", "failed"])),
    )
    .returning();
  if (row) return row;
  const [exists] = await db
    .select({ status: outbox.status })
    .from(outbox)
    .where(and(eq(outbox.organizationId, organizationId), eq(outbox.id, id)));
  if (!exists) throw new ApiError("NOT_FOUND", "No such job in this organization.");
  throw new ApiError("CONFLICT", `Only dead or failed jobs can be retried; this one is ${exists.status}.`);
}
