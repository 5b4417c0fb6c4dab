// One-time codes in tests: an organization with a Twilio SMS channel pointed at the loopback fake,
// the codes read back from the fake's recorded requests (the only place a code exists outside
// the Worker), a clock the tests move, and the challenge's stored row.
import { and, asc, eq, like } from "drizzle-orm";
import { auditLog, otpChallenges } from "@/db/schema";
import { withDb } from "../support/db";
import type { Driver } from "../support/env";
import { createTenant, type Tenant, unique } from "../support/fixtures";
import { type CallOptions, call } from "../support/http";
import { createChannel, fakeRequests } from "../support/provider";
import { accountSid } from "../support/twilio";

export const PHONE = "+5511987654321";

/** A clock for TEST_NOW (src/platform/context.ts): starts at the real time, moves only when told. */
export function testClock() {
  let now = Date.now();
  return {
    env: { TEST_NOW: () => now },
    advance(seconds: number) {
      now += seconds * 1000;
    },
  };
}

/** The six-digit code of a recorded SMS (Twilio form body) or WhatsApp template (Graph JSON body). */
export function codeOf(body: string): string {
  const text = body.trimStart().startsWith("{") ? body : (new URLSearchParams(body).get("Body") ?? "");
  const match = /\b(\d{6})\b/.exec(text);
  if (!match?.[1]) throw new Error(`no code in ${body}`);
  return match[1];
}

export type OtpOptions = Pick<CallOptions, "driver" | "env">;

/** An organization with one Twilio SMS channel whose sends land in the fake under `prefix`. */
export async function smsTenant(options: { driver?: Driver; tenant?: Tenant; phoneNumber?: string } = {}) {
  const { driver } = options;
  const tenant = options.tenant ?? (await createTenant({ driver }));
  const config = {
    accountSid: accountSid(),
    authToken: unique("tok"),
    phoneNumber: options.phoneNumber ?? "+14155550100",
  };
  const channel = await createChannel(tenant.token, { type: "twilio_sms", config }, { driver });
  const prefix = `/twilio/2010-04-01/Accounts/${config.accountSid}/`;
  return {
    tenant,
    channel,
    prefix,
    request: (json: Record<string, unknown>, opts: OtpOptions & { headers?: Record<string, string> } = {}) =>
      call("/api/otp", { driver, ...opts, token: tenant.token, json: { channel: "sms", ...json } }),
    verify: (json: Record<string, unknown>, opts: OtpOptions = {}) =>
      call("/api/otp/verify", { driver, ...opts, token: tenant.token, json }),
    /** The code of the one send the fake received for this channel (throws unless there is exactly one). */
    async onlyCode(): Promise<string> {
      const requests = await fakeRequests(prefix);
      if (requests.length !== 1) throw new Error(`expected one send, got ${JSON.stringify(requests)}`);
      return codeOf((requests[0] as { body: string }).body);
    },
    /** Every send the fake received for this channel, oldest first: {to, code}. */
    async sent() {
      return (await fakeRequests(prefix)).map((r) => ({
        to: new URLSearchParams(r.body).get("To"),
        code: codeOf(r.body),
        body: r.body,
      }));
    },
  };
}

export const challengeRow = (id: string, driver?: Driver) =>
  withDb(async (db) => (await db.select().from(otpChallenges).where(eq(otpChallenges.id, id)))[0], driver);

export const challengesOf = (organizationId: string, driver?: Driver) =>
  withDb(
    (db) =>
      db
        .select()
        .from(otpChallenges)
        .where(eq(otpChallenges.organizationId, organizationId))
        .orderBy(asc(otpChallenges.createdAt), asc(otpChallenges.id)),
    driver,
  );

/** The organization's otp.* audit entries, oldest first. */
export const otpAudit = (organizationId: string, driver?: Driver) =>
  withDb(
    (db) =>
      db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.organizationId, organizationId), like(auditLog.action, "otp.%")))
        .orderBy(asc(auditLog.id)),
    driver,
  );

/** A code other than `code`. */
export const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, "0");
