import { sql } from "drizzle-orm";
import type { Transaction } from "@/platform/db";
import { ApiError } from "@/platform/errors";
import type { OtpSettings } from "./settings";

/** The longest rateLimitWindowSeconds an organization may set: send times older than it never count again. */
export const OTP_LONGEST_WINDOW_SECONDS = 86_400;

const rateLimited = (message: string, retryAfter: number) =>
  new ApiError("RATE_LIMITED", message, { retryAfter: Math.max(1, Math.ceil(retryAfter)) });

type Pair = { organizationId: string; phone: string; purpose: string };

/**
 * Takes one send of the phone and purpose, or throws 429 with the seconds until the oldest send
 * leaves the window. One statement counts and adds: the upsert keeps the send times inside the
 * window and appends this one only while fewer than the limit are there. Concurrent requests wait
 * on the row's lock and each sees the others' sends, so N of them at once take exactly the limit;
 * the lock is held until the caller's transaction ends, which also serializes the cancel-and-insert
 * that follows for the same phone and purpose.
 */
export async function takePairSend(tx: Transaction, pair: Pair, settings: OtpSettings, now: Date): Promise<void> {
  const at = now.toISOString();
  const windowStart = new Date(now.getTime() - settings.rateLimitWindowSeconds * 1000).toISOString();
  const taken = await tx.execute(sql`
    insert into otp_send_windows as w (organization_id, phone, purpose, sent_at)
    values (${pair.organizationId}, ${pair.phone}, ${pair.purpose}, array[${at}::timestamptz])
    on conflict (organization_id, phone, purpose) do update
      set sent_at = array(select t from unnest(w.sent_at) as t where t > ${windowStart}::timestamptz order by t)
        || ${at}::timestamptz
      where (select count(*) from unnest(w.sent_at) as t where t > ${windowStart}::timestamptz) < ${settings.rateLimitMax}
    returning 1 as taken`);
  if (taken.rows.length > 0) return;
  // The row is ours (locked by the upsert) until the transaction ends: this read is consistent.
  const oldest = await tx.execute<{ wait: number | string | null }>(sql`
    select extract(epoch from min(t) - ${windowStart}::timestamptz) as wait
    from otp_send_windows w, unnest(w.sent_at) as t
    where w.organization_id = ${pair.organizationId} and w.phone = ${pair.phone} and w.purpose = ${pair.purpose}
      and t > ${windowStart}::timestamptz`);
  const wait = Number(oldest.rows[0]?.wait ?? settings.rateLimitWindowSeconds);
  throw rateLimited(
    `At most ${settings.rateLimitMax} codes per phone and purpose every ${settings.rateLimitWindowSeconds} s.`,
    wait,
  );
}

/**
 * Takes one send of the organization's clock hour (UTC), or throws 429 until the next hour. The
 * ceiling is a fixed window (it can let up to twice the ceiling through across an hour's edge);
 * the count is one conditional upsert, exact under concurrency. Take it last in the transaction:
 * it is the organization's one hot row.
 */
export async function takeOrganizationSend(
  tx: Transaction,
  organizationId: string,
  settings: OtpSettings,
  now: Date,
): Promise<void> {
  const hour = Math.floor(now.getTime() / 3_600_000) * 3_600_000;
  const taken = await tx.execute(sql`
    insert into otp_organization_hours as h (organization_id, hour, sends)
    values (${organizationId}, ${new Date(hour).toISOString()}::timestamptz, 1)
    on conflict (organization_id, hour) do update set sends = h.sends + 1
      where h.sends < ${settings.orgMaxPerHour}
    returning sends`);
  if (taken.rows.length > 0) return;
  throw rateLimited(
    `The organization's ceiling of ${settings.orgMaxPerHour} codes an hour is reached.`,
    (hour + 3_600_000 - now.getTime()) / 1000,
  );
}
