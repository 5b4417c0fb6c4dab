import { and, desc, eq, gt, sql } from "drizzle-orm";
import { v7 as uuidv7 } from "uuid";
import { type OtpChannel, otpChallenges } from "@/db/schema";
import { enqueue, type QueuedJob } from "@/jobs/outbox";
import { audit } from "@/platform/audit";
import { randomToken } from "@/platform/crypto";
import type { Database, Transaction } from "@/platform/db";
import type { Env } from "@/platform/env";
import { ApiError } from "@/platform/errors";
import { maskPhone } from "@/platform/logger";
import { normalizePhone } from "@/platform/phone";
import type { Principal } from "@/platform/principal";
import { pickOtpChannel } from "./channel";
import { newCode, normalizeCode, otpKeyring } from "./code";
import { takeOrganizationSend, takePairSend } from "./limits";
import { readOtpSettings } from "./settings";

export type ChallengeRow = typeof otpChallenges.$inferSelect;

/** What a service call needs: the database, the env, the invocation's clock, who asks and from where. */
export type OtpContext = {
  db: Database;
  env: Env;
  now: Date;
  principal: Pick<Principal, "type" | "id" | "organizationId">;
  ip?: string;
};

export type NewOtp = { phone: string; purpose: string; channel: OtpChannel; channelId?: string };

const SEND_MAX_ATTEMPTS = 4;

function e164(input: string): string {
  const phone = normalizePhone(input);
  if (!phone) throw new ApiError("UNPROCESSABLE", "phone is not a valid phone number (E.164, or Brazilian national).");
  return phone;
}

const pairOf = (organizationId: string, phone: string, purpose: string) =>
  and(
    eq(otpChallenges.organizationId, organizationId),
    eq(otpChallenges.phone, phone),
    eq(otpChallenges.purpose, purpose),
  );

/**
 * Everything before the transaction: the channel, the settings, a fresh code hashed and sealed.
 * Then `open(tx)` takes the limits (429), cancels the pair's pending challenge, stores the new one
 * and queues its send, all in the caller's transaction (the idempotency key's, in the route).
 */
export async function prepareChallenge(ctx: OtpContext, input: NewOtp) {
  const { db, env, now, principal } = ctx;
  const organizationId = principal.organizationId;
  const keyring = await otpKeyring(env);
  const phone = e164(input.phone);
  const settings = await readOtpSettings(db, env, organizationId);
  const route = await pickOtpChannel(db, env, organizationId, input.channel, input.channelId);
  if (route.bound.serviceWindow() && !settings.whatsappTemplate) {
    throw new ApiError(
      "UNPROCESSABLE",
      "This WhatsApp channel sends codes only as an authentication template: set whatsappTemplate (PATCH /api/otp/settings).",
    );
  }
  const id = uuidv7();
  const code = newCode();
  const key = keyring.current;
  const row = {
    id,
    organizationId,
    phone,
    purpose: input.purpose,
    channel: input.channel,
    channelId: route.channel.id,
    keyId: key.id,
    codeHash: await keyring.hash(key, id, code),
    codeSealed: await keyring.seal(key, id, code),
    maxAttempts: settings.maxAttempts,
    createdAt: now,
    expiresAt: new Date(now.getTime() + settings.ttlSeconds * 1000),
  };

  return async (tx: Transaction): Promise<{ challenge: ChallengeRow; jobs: QueuedJob[] }> => {
    await takePairSend(tx, { organizationId, phone, purpose: input.purpose }, settings, now);
    const canceled = await tx
      .update(otpChallenges)
      .set({ status: "canceled", codeSealed: null })
      .where(
        and(
          pairOf(organizationId, phone, input.purpose),
          eq(otpChallenges.status, "pending"),
          gt(otpChallenges.expiresAt, now),
        ),
      )
      .returning({ id: otpChallenges.id, decoy: otpChallenges.decoy });
    const [challenge] = await tx.insert(otpChallenges).values(row).returning();
    if (!challenge) throw new Error("otp challenge insert returned nothing");
    await takeOrganizationSend(tx, organizationId, settings, now);
    const entry = { organizationId, actor: principal, targetType: "otp_challenge", ip: ctx.ip } as const;
    await audit(tx, {
      ...entry,
      action: "otp.created",
      targetId: id,
      metadata: { phone: maskPhone(phone), purpose: input.purpose, channel: input.channel, channelId: row.channelId },
    });
    for (const previous of canceled.filter((c) => !c.decoy)) {
      await audit(tx, { ...entry, action: "otp.canceled", targetId: previous.id, metadata: { replacedBy: id } });
    }
    const jobs = await enqueue(tx, [
      {
        name: "otp.send",
        organizationId,
        payload: { challengeId: id },
        dedupeKey: `otp.send:${id}`,
        maxAttempts: SEND_MAX_ATTEMPTS,
      },
    ]);
    return { challenge, jobs };
  };
}

export type Verdict =
  | { status: "approved" }
  | { status: "invalid"; attemptsLeft: number }
  | { status: "expired" | "max_attempts" | "canceled" };

export type VerifyInput = { id: string; code: string } | { phone: string; purpose: string; code: string };

/**
 * The challenge a verification by phone and purpose checks: the pair's newest live (pending,
 * unexpired) one, a real one before any decoy. When there is none (never was, expired, used,
 * locked) a decoy takes its place: a pending challenge no code can match, with the same attempts
 * and lifetime. So a phone without a challenge answers exactly like a wrong code on a real one
 * (invalid with attemptsLeft counting down, then max_attempts), and probing reveals nothing.
 */
async function challengeOfPair(tx: Transaction, ctx: OtpContext, phone: string, purpose: string): Promise<string> {
  const { env, now, principal } = ctx;
  const organizationId = principal.organizationId;
  const [live] = await tx
    .select({ id: otpChallenges.id })
    .from(otpChallenges)
    .where(
      and(
        pairOf(organizationId, phone, purpose),
        eq(otpChallenges.status, "pending"),
        gt(otpChallenges.expiresAt, now),
      ),
    )
    .orderBy(otpChallenges.decoy, desc(otpChallenges.createdAt))
    .limit(1);
  if (live) return live.id;
  const keyring = await otpKeyring(env);
  const settings = await readOtpSettings(tx, env, organizationId);
  const id = uuidv7();
  // Hashes 16 random bytes, not six digits: no code can ever match a decoy.
  const unguessable = randomToken(16);
  await tx.insert(otpChallenges).values({
    id,
    organizationId,
    phone,
    purpose,
    keyId: keyring.current.id,
    codeHash: await keyring.hash(keyring.current, id, unguessable),
    maxAttempts: settings.maxAttempts,
    decoy: true,
    sendStatus: "skipped",
    createdAt: now,
    expiresAt: new Date(now.getTime() + settings.ttlSeconds * 1000),
  });
  return id;
}

/** Why a challenge took no attempt: it is no longer pending, or its time is up. */
function closedVerdict(row: Pick<ChallengeRow, "status" | "expiresAt">, now: Date): Verdict {
  switch (row.status) {
    case "canceled":
      return { status: "canceled" };
    case "max_attempts":
      return { status: "max_attempts" };
    // A code is accepted once: afterwards its challenge is used up, like an expired one.
    case "approved":
      return { status: "expired" };
    default:
      return row.expiresAt <= now ? { status: "expired" } : { status: "max_attempts" };
  }
}

/**
 * Checks a code. One UPDATE ... RETURNING counts the attempt, and only while the challenge is
 * pending, unexpired and under its maximum: concurrent guesses each wait for the row's lock, so
 * 100 at once count exactly up to the maximum and never past it. The row stays locked to the end
 * of the transaction, so approving (once) and locking happen with the count, never in between.
 * The comparison is constant-time. 404 for an id that is not the organization's.
 */
export async function verifyChallenge(ctx: OtpContext, input: VerifyInput): Promise<Verdict> {
  const { db, env, now, principal } = ctx;
  const organizationId = principal.organizationId;
  const keyring = await otpKeyring(env);
  const code = normalizeCode(input.code);
  const phone = "phone" in input ? e164(input.phone) : undefined;
  return db.transaction(async (tx) => {
    const id = "id" in input ? input.id : await challengeOfPair(tx, ctx, phone as string, input.purpose);
    const mine = and(eq(otpChallenges.organizationId, organizationId), eq(otpChallenges.id, id));
    const [counted] = await tx
      .update(otpChallenges)
      .set({ attempts: sql`${otpChallenges.attempts} + 1` })
      .where(
        and(
          mine,
          eq(otpChallenges.status, "pending"),
          gt(otpChallenges.expiresAt, now),
          sql`${otpChallenges.attempts} < ${otpChallenges.maxAttempts}`,
        ),
      )
      .returning();
    const entry = { organizationId, actor: principal, targetType: "otp_challenge", targetId: id, ip: ctx.ip } as const;
    const lookup = "id" in input ? "id" : "phone";
    if (!counted) {
      const [row] = await tx.select().from(otpChallenges).where(mine);
      if (!row) throw new ApiError("NOT_FOUND", "No such challenge.");
      const verdict = closedVerdict(row, now);
      await audit(tx, { ...entry, action: "otp.failed", metadata: { reason: verdict.status, lookup } });
      return verdict;
    }
    const attemptsLeft = counted.maxAttempts - counted.attempts;
    if (await keyring.matches(counted.keyId, counted.id, code, counted.codeHash)) {
      await tx
        .update(otpChallenges)
        .set({ status: "approved", verifiedAt: now, codeSealed: null })
        .where(eq(otpChallenges.id, counted.id));
      await audit(tx, { ...entry, action: "otp.verified", metadata: { attempt: counted.attempts, lookup } });
      return { status: "approved" };
    }
    const decoy = counted.decoy ? { decoy: true } : {};
    await audit(tx, {
      ...entry,
      action: "otp.failed",
      metadata: { reason: "invalid", attemptsLeft, lookup, ...decoy },
    });
    if (attemptsLeft === 0) {
      await tx
        .update(otpChallenges)
        .set({ status: "max_attempts", codeSealed: null })
        .where(eq(otpChallenges.id, counted.id));
      await audit(tx, { ...entry, action: "otp.locked", metadata: { attempts: counted.attempts, lookup, ...decoy } });
    }
    return { status: "invalid", attemptsLeft };
  });
}
