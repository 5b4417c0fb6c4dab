import { and, asc, eq, inArray, lt, type SQL, sql } from "drizzle-orm";
import type { CronTask } from "@/cron/run";
import { otpChallenges } from "@/db/schema";
import type { Executor } from "@/platform/db";
// From limits.ts, not settings.ts: the settings schema is the API's (@hono/zod-openapi), kept out of the cron bundle.
import { OTP_LONGEST_WINDOW_SECONDS } from "./limits";

/** Rows deleted per statement, and statements per kind and tick: a backlog drains over a few ticks. */
const BATCH_SIZE = 1000;
const MAX_BATCHES = 10;
/** A decoy past its expiry answers nothing any more; the hour keeps a verification in flight from losing it. */
const DECOY_GRACE_MS = 60 * 60 * 1000;
/** The current hour's count is the ceiling; the one before is kept so a clock a little behind finds its own. */
const HOURS_KEPT_MS = 2 * 60 * 60 * 1000;

/** Runs `batch` until it deletes fewer than BATCH_SIZE rows (or MAX_BATCHES ran); each batch commits on its own. */
async function drain(batch: () => Promise<number>): Promise<number> {
  let deleted = 0;
  for (let i = 0; i < MAX_BATCHES; i++) {
    const n = await batch();
    deleted += n;
    if (n < BATCH_SIZE) break;
  }
  return deleted;
}

/**
 * Challenges matching `old`, oldest expiry first (otp_challenges_expiry_idx). The condition is
 * repeated on the deleted rows, so a row changed since the select is judged again as it is now.
 */
async function deleteChallenges(db: Executor, old: SQL | undefined): Promise<number> {
  const ids = db
    .select({ id: otpChallenges.id })
    .from(otpChallenges)
    .where(old)
    .orderBy(asc(otpChallenges.expiresAt))
    .limit(BATCH_SIZE);
  const deleted = await db
    .delete(otpChallenges)
    .where(and(inArray(otpChallenges.id, ids), old))
    .returning({ id: otpChallenges.id });
  return deleted.length;
}

/**
 * Send times of a phone and purpose, once every one of them is older than the longest window any
 * organization may configure: whatever an organization's window is, or becomes, none of them can
 * count again. The condition is checked again on the deleted row, so a send added meanwhile (the
 * upsert of takePairSend, which locks the row) keeps it; an upsert that waited on this delete
 * inserts a fresh row, as it would for a phone never seen.
 */
async function deleteSendWindows(db: Executor, before: Date): Promise<number> {
  const stale = (alias: string) =>
    sql`not exists (select 1 from unnest(${sql.raw(alias)}.sent_at) as t where t >= ${before.toISOString()}::timestamptz)`;
  const deleted = await db.execute(sql`
    delete from otp_send_windows w
    where (w.organization_id, w.phone, w.purpose) in (
      select o.organization_id, o.phone, o.purpose from otp_send_windows o where ${stale("o")} limit ${BATCH_SIZE}
    ) and ${stale("w")}`);
  return deleted.rowCount ?? 0;
}

/** Hourly counts of hours that ended long ago: only the current hour's counts toward the ceiling. */
async function deleteOrganizationHours(db: Executor, before: Date): Promise<number> {
  const cutoff = sql`${before.toISOString()}::timestamptz`;
  const deleted = await db.execute(sql`
    delete from otp_organization_hours h
    where (h.organization_id, h.hour) in (
      select o.organization_id, o.hour from otp_organization_hours o where o.hour < ${cutoff} limit ${BATCH_SIZE}
    ) and h.hour < ${cutoff}`);
  return deleted.rowCount ?? 0;
}

/**
 * Deletes what the one-time codes leave behind and nothing still meaningful: decoys an hour after
 * they expired (they exist only to answer verifications by phone while live); real challenges
 * OTP_RETENTION_DAYS after they ended (at the latest at their expiry: `expired` or used, they
 * only answer a verification by id, for support, until then; the audit log, append-only, keeps
 * their story and names them only by id); send times once none can count toward any window; the
 * organizations' hourly counts once two hours old. Bounded batches, each its own statement, so
 * overlapping ticks only find less to do and a tick that dies loses nothing. Runs on the
 * services' clock, the one the codes' times were written with.
 */
export async function pruneOtp(db: Executor, now: Date, retentionDays: number, longestWindowSeconds: number) {
  const ms = (before: number) => new Date(now.getTime() - before);
  const decoyCutoff = ms(DECOY_GRACE_MS);
  const challengeCutoff = ms(retentionDays * 86_400_000);
  const windowCutoff = ms(longestWindowSeconds * 1000);
  const hourCutoff = ms(HOURS_KEPT_MS);
  const decoys = await drain(() =>
    deleteChallenges(db, and(eq(otpChallenges.decoy, true), lt(otpChallenges.expiresAt, decoyCutoff))),
  );
  const challenges = await drain(() =>
    deleteChallenges(db, and(eq(otpChallenges.decoy, false), lt(otpChallenges.expiresAt, challengeCutoff))),
  );
  const sendWindows = await drain(() => deleteSendWindows(db, windowCutoff));
  const organizationHours = await drain(() => deleteOrganizationHours(db, hourCutoff));
  return { decoys, challenges, sendWindows, organizationHours };
}

/** The one-time codes' housekeeping, every cron tick. */
export const otpPrune: CronTask = {
  name: "otp.prune",
  run: ({ db, env, now }) =>
    pruneOtp(
      db,
      now(),
      env.OTP_RETENTION_DAYS,
      Math.max(OTP_LONGEST_WINDOW_SECONDS, env.OTP_RATE_LIMIT_WINDOW_SECONDS),
    ),
};
