import { and, asc, eq, inArray, lt, notExists, sql } from "drizzle-orm";
import type { CronTask } from "@/cron/run";
import { callEvents, callPlacements, calls, organizations } from "@/db/schema";
import { dispatch } from "@/jobs/dispatch";
import { enqueue, type NewJob, type QueuedJob } from "@/jobs/outbox";
import { eventJob } from "@/notify/job";
import { hasEventsWebhook } from "@/notify/settings";
import type { Transaction } from "@/platform/db";
import type { Services } from "@/platform/services";
import { forwardStatus } from "../calls";
import { callEventData } from "../ingest";

/** Long past any provider's answer and first callback: a call silent this long after its dial was not taken, or its news is lost. */
export const UNKNOWN_OUTCOME_AFTER_MS = 10 * 60 * 1000;
const BATCH_SIZE = 100;
const MAX_BATCHES = 10;
const REASON = "outcome_unknown";
const EXPLANATION =
  "dialed (or maybe dialed) 10 minutes ago, yet no provider call id and no callback: not dialed again, the outcome is unknown";

/**
 * Placed calls stuck in `queued`: the job marked its attempt, then never stored a provider call id
 * (a timeout, a 2xx without an id, a delivery that died), and no callback arrived since. Each call
 * row is locked (others skip it), so overlapping ticks take each once.
 */
function stuckCalls(tx: Transaction, cutoff: Date) {
  const before = sql`${cutoff.toISOString()}::timestamptz`;
  return tx
    .select({ id: calls.id, settings: organizations.settings })
    .from(calls)
    .innerJoin(callPlacements, eq(callPlacements.callId, calls.id))
    .innerJoin(organizations, eq(organizations.id, calls.organizationId))
    .where(
      and(
        // The predicate of calls_unlinked_placed_idx, spelled as it is there.
        sql`${calls.status} = 'queued' and ${calls.providerCallId} like 'pending:%'`,
        lt(calls.createdAt, before),
        lt(callPlacements.attemptedAt, before),
        sql`${callPlacements.placedAt} is null`,
        notExists(tx.select({ one: sql`1` }).from(callEvents).where(eq(callEvents.callId, calls.id))),
      ),
    )
    .orderBy(asc(calls.createdAt), asc(calls.id))
    .limit(BATCH_SIZE)
    .for("update", { of: calls, skipLocked: true });
}

/**
 * One batch in one transaction: the calls fail (forward-only), with `outcome: "unknown"` in their
 * metadata; their placement keeps the error it has (or gets outcome_unknown); a call event records
 * the decision; organizations with an events webhook get `call.ended`, deduplicated per call like
 * the provider's own.
 */
async function settleBatch(tx: Transaction, now: Date): Promise<{ failed: number; jobs: QueuedJob[] }> {
  const due = await stuckCalls(tx, new Date(now.getTime() - UNKNOWN_OUTCOME_AFTER_MS));
  if (due.length === 0) return { failed: 0, jobs: [] };
  const ids = due.map((d) => d.id);
  const at = sql`${now.toISOString()}::timestamptz`;
  const failed = await tx
    .update(calls)
    .set({
      status: forwardStatus(sql`'failed'`),
      endedAt: sql`coalesce(${calls.endedAt}, ${at})`,
      disconnectionReason: sql`coalesce(${calls.disconnectionReason}, ${REASON})`,
      metadata: sql`${calls.metadata} || ${JSON.stringify({ outcome: "unknown", outcomeReason: EXPLANATION })}::jsonb`,
    })
    .where(inArray(calls.id, ids))
    .returning();
  await tx
    .update(callPlacements)
    .set({
      error: sql`coalesce(${callPlacements.error}, ${JSON.stringify({ code: REASON, message: EXPLANATION })}::jsonb)`,
    })
    .where(inArray(callPlacements.callId, ids));
  await tx
    .insert(callEvents)
    .values(
      failed.map((call) => ({
        organizationId: call.organizationId,
        callId: call.id,
        kind: "placement.outcome_unknown",
        key: "placement:outcome_unknown",
        payload: { status: "failed", reason: REASON, message: EXPLANATION },
        occurredAt: now,
      })),
    )
    .onConflictDoNothing({ target: [callEvents.callId, callEvents.key] });
  const notify = new Map(due.map((d) => [d.id, hasEventsWebhook(d.settings)]));
  const jobs: NewJob[] = failed
    .filter((call) => notify.get(call.id))
    .map((call) =>
      eventJob(call.organizationId, "call.ended", { ...callEventData(call), outcome: "unknown" }, call.id),
    );
  return { failed: failed.length, jobs: await enqueue(tx, jobs) };
}

/**
 * Ends placed calls whose outcome stayed unknown: the job never dials twice, so without this they
 * would stay `queued` for ever. Batches of BATCH_SIZE, each its own transaction whose events are
 * dispatched after its commit, at most MAX_BATCHES a tick.
 */
export async function settleUnknownOutcomes(services: Services, now: Date) {
  let failed = 0;
  for (let i = 0; i < MAX_BATCHES; i++) {
    const batch = await services.db.transaction((tx) => settleBatch(tx, now));
    failed += batch.failed;
    if (batch.jobs.length) await dispatch(services, batch.jobs);
    if (batch.failed < BATCH_SIZE) break;
  }
  return { failed };
}

/** Every cron tick, on the services' clock (the placement's attempt is stamped with the real time too). */
export const unknownOutcomeSweep: CronTask = {
  name: "calls.outcome_unknown",
  run: (services) => settleUnknownOutcomes(services, services.now()),
};
