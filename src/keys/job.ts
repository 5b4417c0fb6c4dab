import { and, eq, sql } from "drizzle-orm";
import * as z from "zod";
import { auditLog } from "@/db/schema";
import { defineJob } from "@/jobs/define";
import { dispatch } from "@/jobs/dispatch";
import { enqueue, type NewJob } from "@/jobs/outbox";
import { audit } from "@/platform/audit";
import { currentKey } from "@/platform/crypto";
import { reseal } from "./reseal";

export const REENCRYPT_JOB = "keys.reencrypt";

/** How long one delivery re-seals before handing the rest to its successor (well inside a Worker's limits). */
const SLICE_MS = 15_000;
/** Failed ids named in the final audit entry; the count covers all of them. */
const LISTED_FAILURES = 20;

const totals = z.object({
  resealed: z.number().int(),
  failed: z.number().int(),
  raced: z.number().int(),
  failures: z.array(z.object({ field: z.string(), id: z.string() })),
});
type Totals = z.infer<typeof totals>;

const payload = z.object({
  organizationId: z.uuid(),
  runId: z.uuid(),
  step: z.number().int().min(0),
  from: z.object({ field: z.number().int().min(0), after: z.uuid().nullable() }),
  totals,
});

/**
 * One step of a run. Steps are chained through the outbox, each keyed by run and step, so a
 * redelivered step never forks the chain; re-sealing itself is idempotent (src/keys/reseal.ts).
 */
export function reencryptJob(
  organizationId: string,
  runId: string,
  step = 0,
  from: z.infer<typeof payload>["from"] = { field: 0, after: null },
  sofar: Totals = { resealed: 0, failed: 0, raced: 0, failures: [] },
): NewJob {
  return {
    name: REENCRYPT_JOB,
    organizationId,
    payload: { organizationId, runId, step, from, totals: sofar },
    dedupeKey: `${REENCRYPT_JOB}:${runId}:${step}`,
  };
}

/** Re-seals the organization's sealed values with the current ENCRYPTION_KEY, a slice at a time. */
export const reencryptKeysJob = defineJob({
  name: REENCRYPT_JOB,
  payload,
  async handle(services, { organizationId, runId, step, from, totals: sofar }) {
    const { db, env } = services;
    const progress = await reseal(db, env.ENCRYPTION_KEY, { organizationId, from, deadline: Date.now() + SLICE_MS });
    const sum: Totals = {
      resealed: sofar.resealed + progress.resealed,
      failed: sofar.failed + progress.failed,
      raced: sofar.raced + progress.raced,
      failures: [...sofar.failures, ...progress.failures].slice(0, LISTED_FAILURES),
    };
    if (progress.next) {
      const queued = await enqueue(db, [reencryptJob(organizationId, runId, step + 1, progress.next, sum)]);
      if (queued.length) services.waitUntil(dispatch(services, queued));
      return { step, continued: true, resealed: progress.resealed };
    }
    // The last step of a run records it once, also when its delivery is repeated.
    const [recorded] = await db
      .select({ id: auditLog.id })
      .from(auditLog)
      .where(
        and(
          eq(auditLog.organizationId, organizationId),
          eq(auditLog.action, "keys.reencrypted"),
          sql`${auditLog.metadata} ->> 'runId' = ${runId}`,
        ),
      );
    if (!recorded) {
      await audit(db, {
        organizationId,
        actor: { type: "system" },
        action: "keys.reencrypted",
        targetType: "organization",
        targetId: organizationId,
        metadata: { runId, keyId: (await currentKey(env.ENCRYPTION_KEY)).kid, steps: step + 1, ...sum },
      });
    }
    return { step, done: true, ...sum };
  },
});
