// The one-time codes' housekeeping (src/otp/prune.ts) through the gateway's scheduled entry point:
// what the codes leave behind goes once it can mean nothing (decoys, old challenges, send times
// outside any window, past hours' counts), what is live stays, and the limits hold across a prune.
// Old rows are made through the API with the clock moved back (TEST_NOW), and the prune runs on
// the real clock, so no other test's rows are ever old enough to be touched.
import { eq, sql } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { otpChallenges, otpOrganizationHours, otpSendWindows } from "@/db/schema";
import { withDb } from "../support/db";
import { call, runScheduled } from "../support/http";
import { challengeRow, challengesOf, otpAudit, PHONE, smsTenant, wrong } from "./support";

afterEach(() => vi.restoreAllMocks());

const HOUR = 3600;
/** The cron logs each task's counts at info. */
const INFO = { LOG_LEVEL: "info" };
const DAY = 24 * HOUR;

/** A clock fixed `secondsAgo` before the real time, for TEST_NOW. */
const ago = (secondsAgo: number) => {
  const at = Date.now() - secondsAgo * 1000;
  return { TEST_NOW: () => at };
};

const sendWindowsOf = (organizationId: string) =>
  withDb((db) => db.select().from(otpSendWindows).where(eq(otpSendWindows.organizationId, organizationId)));

const hoursOf = (organizationId: string) =>
  withDb((db) =>
    db
      .select()
      .from(otpOrganizationHours)
      .where(eq(otpOrganizationHours.organizationId, organizationId))
      .orderBy(otpOrganizationHours.hour),
  );

/** The prune's log line of a run, by spying on the structured log. */
function pruneLines() {
  const lines: Record<string, unknown>[] = [];
  for (const level of ["log", "warn", "error"] as const) {
    vi.spyOn(console, level).mockImplementation((line: unknown) => {
      try {
        const parsed = JSON.parse(String(line));
        if (parsed.task === "otp.prune") lines.push(parsed);
      } catch {
        // Not a structured line.
      }
    });
  }
  return lines;
}

describe("OTP housekeeping by cron", () => {
  it("deletes decoys an hour after they expire and challenges OTP_RETENTION_DAYS after they end, keeping the live and the recent", async () => {
    const otp = await smsTenant();
    const org = otp.tenant.organizationId;
    const challenge = async (secondsAgo: number, purpose: string) => {
      const res = await otp.request({ phone: PHONE, purpose }, { env: ago(secondsAgo) });
      expect(res.status, res.text).toBe(201);
      return res.body.id as string;
    };
    const decoy = async (secondsAgo: number, phone: string) => {
      const res = await otp.verify({ phone, purpose: "login", code: "000000" }, { env: ago(secondsAgo) });
      expect(res.body.status, res.text).toBe("invalid");
      const rows = (await challengesOf(org)).filter((c) => c.decoy && c.phone === phone);
      expect(rows).toHaveLength(1);
      return rows[0]?.id as string;
    };
    const ended8DaysAgo = await challenge(8 * DAY, "eight-days");
    const ended6DaysAgo = await challenge(6 * DAY, "six-days");
    const live = await challenge(0, "live");
    const oldDecoy = await decoy(2 * HOUR, "+5511911111111");
    const justExpiredDecoy = await decoy(10 * 60, "+5511922222222");
    const liveDecoy = await decoy(0, "+5511933333333");
    const auditBefore = await otpAudit(org);

    const lines = pruneLines();
    await runScheduled({ env: INFO });
    const kept = (await challengesOf(org)).map((c) => c.id).sort();
    expect(kept).toEqual([ended6DaysAgo, live, justExpiredDecoy, liveDecoy].sort());
    expect(lines.find((l) => l.msg === "cron task done")).toMatchObject({ decoys: 1, challenges: 1 });
    expect(await otpAudit(org), "the audit log keeps the deleted challenges' story").toEqual(auditBefore);
    expect(auditBefore.filter((a) => a.targetId === ended8DaysAgo).map((a) => a.action)).toContain("otp.created");
    expect(oldDecoy).not.toBe(justExpiredDecoy);

    // A shorter retention, as a deployment may set it.
    await runScheduled({ env: { OTP_RETENTION_DAYS: "5" } });
    expect(await challengeRow(ended6DaysAgo)).toBeUndefined();
    expect(await challengeRow(live)).toMatchObject({ status: "pending" });
  });

  it("leaves a live challenge and a live decoy working as before the prune", async () => {
    const otp = await smsTenant();
    const created = await otp.request({ phone: PHONE, purpose: "login" });
    const code = await otp.onlyCode();
    const probe = () => otp.verify({ phone: "+5511944444444", purpose: "login", code: "123456" });
    expect((await probe()).body).toEqual({ status: "invalid", attemptsLeft: 4 });
    expect((await probe()).body).toEqual({ status: "invalid", attemptsLeft: 3 });
    expect((await otp.verify({ id: created.body.id, code: wrong(code) })).body).toEqual({
      status: "invalid",
      attemptsLeft: 4,
    });
    await runScheduled();
    expect((await probe()).body, "the decoy keeps counting").toEqual({ status: "invalid", attemptsLeft: 2 });
    expect((await otp.verify({ id: created.body.id, code })).body).toEqual({ status: "approved" });
  });

  it("drops a phone's send times only once all are older than the longest window an organization may set, and the limit holds", async () => {
    const otp = await smsTenant();
    const org = otp.tenant.organizationId;
    const set = await call("/api/otp/settings", {
      method: "PATCH",
      token: otp.tenant.token,
      json: { rateLimitMax: 2, rateLimitWindowSeconds: DAY },
    });
    expect(set.status, set.text).toBe(200);
    const recent = "+5511955555555";
    const old = "+5511966666666";
    for (const [phone, secondsAgo] of [
      [recent, 23 * HOUR],
      [recent, 23 * HOUR - 60],
      [old, 25 * HOUR],
    ] as const) {
      const res = await otp.request({ phone, purpose: "login" }, { env: ago(secondsAgo) });
      expect(res.status, res.text).toBe(201);
    }
    // A third organization keeps the default 900 s window: its phone's sends two hours ago are
    // outside its window but inside the longest one, so they stay (its window may yet grow).
    const other = await smsTenant();
    expect((await other.request({ phone: recent, purpose: "login" }, { env: ago(2 * HOUR) })).status).toBe(201);

    await runScheduled();
    expect((await sendWindowsOf(org)).map((w) => w.phone)).toEqual([recent]);
    expect((await sendWindowsOf(other.tenant.organizationId)).map((w) => w.phone)).toEqual([recent]);
    const refused = await otp.request({ phone: recent, purpose: "login" });
    expect(refused.status, `the limit holds right after a prune: ${refused.text}`).toBe(429);
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(HOUR - 120);
    expect(retryAfter).toBeLessThanOrEqual(HOUR);
    expect((await otp.request({ phone: old, purpose: "login" })).status).toBe(201);
  });

  it("drops the organization's hourly counts two hours old and keeps the ceiling of the current hour", async () => {
    const otp = await smsTenant();
    const org = otp.tenant.organizationId;
    const set = await call("/api/otp/settings", {
      method: "PATCH",
      token: otp.tenant.token,
      json: { orgMaxPerHour: 2 },
    });
    expect(set.status, set.text).toBe(200);
    const now = ago(0);
    expect((await otp.request({ phone: "+5511977777771", purpose: "x" }, { env: ago(3 * HOUR) })).status).toBe(201);
    for (const phone of ["+5511977777772", "+5511977777773"]) {
      expect((await otp.request({ phone, purpose: "x" }, { env: now })).status).toBe(201);
    }
    expect(await hoursOf(org)).toHaveLength(2);

    await runScheduled();
    const hours = await hoursOf(org);
    expect(hours.map((h) => h.sends)).toEqual([2]);
    expect(hours[0]?.hour.getTime()).toBe(Math.floor(now.TEST_NOW() / 3_600_000) * 3_600_000);
    const refused = await otp.request({ phone: "+5511977777774", purpose: "x" }, { env: now });
    expect(refused.status, `the ceiling holds right after a prune: ${refused.text}`).toBe(429);
  });

  it("deletes a backlog in batches, and overlapping runs delete each row once without failing", async () => {
    const otp = await smsTenant();
    const org = otp.tenant.organizationId;
    // A flood of probes three hours ago: 2,500 decoys, more than two batches.
    await withDb((db) =>
      db.execute(sql`
        insert into otp_challenges
          (id, organization_id, phone, purpose, key_id, code_hash, max_attempts, decoy, send_status, created_at, expires_at)
        select gen_random_uuid(), ${org}::uuid, '+55119' || lpad(n::text, 8, '0'), 'login', 'k', md5(n::text), 5, true, 'skipped',
          now() - interval '3 hours', now() - interval '3 hours' + interval '5 minutes'
        from generate_series(1, 2500) as n`),
    );
    const live = await otp.request({ phone: PHONE, purpose: "login" });
    const lines = pruneLines();
    await Promise.all([0, 1, 2].map(() => runScheduled({ env: INFO })));
    const remaining = await withDb((db) =>
      db.select({ id: otpChallenges.id }).from(otpChallenges).where(eq(otpChallenges.organizationId, org)),
    );
    expect(remaining.map((r) => r.id)).toEqual([live.body.id]);
    const done = lines.filter((l) => l.msg === "cron task done");
    expect(done, JSON.stringify(lines)).toHaveLength(3);
    expect(lines.filter((l) => l.msg === "cron task failed")).toEqual([]);
    // Only this file makes decoys that old: the three runs together deleted each exactly once.
    expect(done.reduce((n, l) => n + Number(l.decoys), 0)).toBe(2500);
    expect((await otp.verify({ id: live.body.id, code: await otp.onlyCode() })).body).toEqual({ status: "approved" });
  });
});
