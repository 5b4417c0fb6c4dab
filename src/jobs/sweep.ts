import { and, asc, inArray, lte, or, sql } from "drizzle-orm";
import type { CronTask } from "@/cron/run";
import { outbox } from "@/db/schema";
import { dispatch, qstashConfigured } from "./dispatch";

/**
 * Re-drives jobs that did not finish: with QStash, rows whose publish failed; locally, rows whose
 * delivery failed (exponential backoff already set their next attempt) or whose run died with
 * its lease. Claimed rows are pushed two minutes ahead so overlapping ticks never take one twice.
 */
export const outboxSweep: CronTask = {
  name: "outbox.sweep",
  async run(services) {
    const { db, env } = services;
    const local = !qstashConfigured(env);
    const due = db
      .select({ id: outbox.id })
      .from(outbox)
      .where(
        and(
          lte(outbox.nextAttemptAt, sql`now()`),
          or(
            sql`${outbox.status} = 'pending'`,
            local ? sql`${outbox.status} = 'failed'` : undefined,
            local ? sql`${outbox.status} = 'running' and ${outbox.lockedUntil} < now()` : undefined,
          ),
        ),
      )
      .orderBy(asc(outbox.nextAttemptAt))
      .limit(100)
      .for("update", { skipLocked: true });
    const rows = await db
      .update(outbox)
      .set({ nextAttemptAt: sql`now() + interval '2 minutes'` })
      .where(inArray(outbox.id, due))
      .returning();
    await dispatch(services, rows);
    return { redriven: rows.length };
  },
};
