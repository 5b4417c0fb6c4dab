// Limits that hold when requests race. PGlite runs one connection underneath, so these prove the
// counting there; on PostgreSQL 15 (TEST_DATABASE_URL) the requests really run at once.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { otpSendWindows } from "@/db/schema";
import { withDb } from "../support/db";
import { call } from "../support/http";
import { inFlight } from "../support/in-flight";
import { challengeRow, challengesOf, otpAudit, PHONE, smsTenant, wrong } from "./support";

const count = <T>(items: T[], predicate: (item: T) => boolean) => items.filter(predicate).length;

describe("one-time codes under concurrency", () => {
  it("counts 100 simultaneous wrong guesses (50 in flight) exactly up to the maximum, locks once, then refuses the right code", async () => {
    const otp = await smsTenant();
    const { body: challenge } = await otp.request({ phone: PHONE, purpose: "login" });
    const code = await otp.onlyCode();

    const answers = await inFlight(
      50,
      Array.from({ length: 100 }, () => () => otp.verify({ id: challenge.id, code: wrong(code) })),
    );
    expect(answers.filter((a) => a.status !== 200).map((a) => a.text)).toEqual([]);
    const invalid = answers.filter((a) => a.body.status === "invalid").map((a) => a.body.attemptsLeft);
    expect(invalid.sort()).toEqual([0, 1, 2, 3, 4]);
    expect(count(answers, (a) => a.body.status === "max_attempts")).toBe(95);

    expect(await challengeRow(challenge.id)).toMatchObject({ attempts: 5, status: "max_attempts" });
    expect((await otp.verify({ id: challenge.id, code })).body).toEqual({ status: "max_attempts" });
    const audit = await otpAudit(otp.tenant.organizationId);
    expect(count(audit, (a) => a.action === "otp.locked")).toBe(1);
    expect(count(audit, (a) => a.action === "otp.failed")).toBe(101);
    expect(count(audit, (a) => a.action === "otp.verified")).toBe(0);
  });

  it("approves a right code once when it is sent many times at once", async () => {
    const otp = await smsTenant();
    const { body: challenge } = await otp.request({ phone: PHONE, purpose: "login" });
    const code = await otp.onlyCode();
    const answers = await Promise.all(Array.from({ length: 20 }, () => otp.verify({ id: challenge.id, code })));
    expect(count(answers, (a) => a.body.status === "approved")).toBe(1);
    expect(count(answers, (a) => a.body.status === "expired")).toBe(19);
    expect(await challengeRow(challenge.id)).toMatchObject({ status: "approved", attempts: 1 });
  });

  it("lets exactly the limit of simultaneous requests for one phone and purpose through; the rest get 429 with Retry-After", async () => {
    const otp = await smsTenant();
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => otp.request({ phone: PHONE, purpose: "login" })),
    );
    expect(answers.filter((a) => a.status !== 201 && a.status !== 429).map((a) => a.text)).toEqual([]);
    expect(count(answers, (a) => a.status === 201)).toBe(3);
    const refused = answers.filter((a) => a.status === 429);
    expect(refused).toHaveLength(9);
    for (const r of refused) {
      expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(890);
      expect(r.body.code).toBe("RATE_LIMITED");
    }
    const stored = await challengesOf(otp.tenant.organizationId);
    expect(stored).toHaveLength(3);
    expect(
      count(stored, (c) => c.status === "pending"),
      "each new one canceled the one before",
    ).toBe(1);
    const [window] = await withDb((db) =>
      db.select().from(otpSendWindows).where(eq(otpSendWindows.organizationId, otp.tenant.organizationId)),
    );
    expect(window?.sentAt).toHaveLength(3);
    // The canceled ones may have ended before their job ran: never more than the limit goes out,
    // and the live one always does.
    const sent = await otp.sent();
    expect(sent.length).toBeGreaterThanOrEqual(1);
    expect(sent.length).toBeLessThanOrEqual(3);
    const live = stored.find((c) => c.status === "pending");
    expect(live?.sendStatus).toBe("sent");
  });

  it("sends exactly the organization's hourly ceiling when many phones ask at once", async () => {
    const otp = await smsTenant();
    await call("/api/otp/settings", { method: "PATCH", token: otp.tenant.token, json: { orgMaxPerHour: 5 } });
    const phones = Array.from({ length: 15 }, (_, i) => `+55119${String(80_000_000 + i)}`);
    const answers = await Promise.all(phones.map((phone) => otp.request({ phone, purpose: "login" })));
    expect(answers.filter((a) => a.status !== 201 && a.status !== 429).map((a) => a.text)).toEqual([]);
    expect(count(answers, (a) => a.status === 201)).toBe(5);
    expect(count(answers, (a) => a.status === 429 && Number(a.headers.get("retry-after")) > 0)).toBe(10);
    expect(await otp.sent()).toHaveLength(5);
    expect(await challengesOf(otp.tenant.organizationId)).toHaveLength(5);
  });
});
