import { and, eq, sql } from "drizzle-orm";
import * as z from "zod";
import { ProviderError } from "@/channels/http";
import type { OutboundMessage } from "@/channels/types";
import { channels, type OtpSendStatus, otpChallenges } from "@/db/schema";
import { defineJob } from "@/jobs/define";
import { PermanentJobError, RetryableJobError } from "@/jobs/errors";
import { baseUrl } from "@/outbound/send-job";
import { audit } from "@/platform/audit";
import type { Services } from "@/platform/services";
import { bindForOtp, needsTemplate } from "./channel";
import { otpKeyring, UnknownOtpKeyError } from "./code";
import type { ChallengeRow } from "./service";
import { readOtpSettings } from "./settings";

/**
 * Records how the send ended and erases the sealed code, once: only while the send is still
 * queued, so a late redelivery or onDead never overwrites a sent challenge. Audited as otp.sent
 * with the outcome.
 */
async function settle(
  { db }: Services,
  challenge: Pick<ChallengeRow, "id" | "organizationId" | "channelId">,
  outcome: { sendStatus: OtpSendStatus; providerMessageId?: string; sendError?: string },
) {
  await db.transaction(async (tx) => {
    const [settled] = await tx
      .update(otpChallenges)
      .set({ ...outcome, codeSealed: null })
      .where(and(eq(otpChallenges.id, challenge.id), eq(otpChallenges.sendStatus, "queued")))
      .returning({ id: otpChallenges.id });
    if (!settled || outcome.sendStatus === "skipped") return;
    await audit(tx, {
      organizationId: challenge.organizationId,
      actor: { type: "system" },
      action: "otp.sent",
      targetType: "otp_challenge",
      targetId: challenge.id,
      metadata: {
        outcome: outcome.sendStatus,
        channelId: challenge.channelId,
        ...(outcome.providerMessageId ? { providerMessageId: outcome.providerMessageId } : {}),
        ...(outcome.sendError ? { error: outcome.sendError } : {}),
      },
    });
  });
}

const fill = (text: string, code: string, minutes: number) =>
  text.replaceAll("{code}", code).replaceAll("{minutes}", String(minutes));

/**
 * Sends a challenge's code through its channel: text over SMS and the unofficial WhatsApp APIs;
 * the organization's authentication template where WhatsApp's 24-hour window applies (Cloud API,
 * Twilio WhatsApp senders), since a code's recipient has usually not written in the last day.
 * In sandbox mode (or a channel without send credentials) the send is simulated and the code is
 * erased unsent: nobody can read it, which is the point. A challenge that ended first (approved,
 * canceled by a newer one, expired) is not sent. The rendered text exists only in this call and
 * in the provider request; nothing here logs it. A redelivery after the send was recorded sends
 * nothing; one after an unknown outcome (the job died mid-call) sends the same code again, counted
 * in sendAttempts.
 */
export const otpSendJob = defineJob({
  name: "otp.send",
  payload: z.object({ challengeId: z.uuid() }),
  async handle(services, { challengeId }) {
    const { db, env, log } = services;
    const now = services.now();
    const [challenge] = await db.select().from(otpChallenges).where(eq(otpChallenges.id, challengeId));
    if (!challenge) throw new PermanentJobError(`otp challenge ${challengeId} does not exist`);
    if (challenge.sendStatus !== "queued") return { skipped: `send ${challenge.sendStatus}` };
    const ended = challenge.status !== "pending" ? challenge.status : challenge.expiresAt <= now ? "expired" : null;
    if (ended || !challenge.codeSealed) {
      await settle(services, challenge, { sendStatus: "skipped" });
      return { skipped: `challenge ${ended ?? "has no code"}` };
    }
    const meta = { challengeId, channelId: challenge.channelId, organizationId: challenge.organizationId };
    const [channel] = challenge.channelId
      ? await db
          .select()
          .from(channels)
          .where(and(eq(channels.id, challenge.channelId), eq(channels.organizationId, challenge.organizationId)))
      : [];
    const bound = channel ? await bindForOtp(env, channel) : null;
    if (!channel || !bound) {
      const reason = channel ? "the channel's credentials do not decrypt or validate" : "the channel is gone";
      await settle(services, challenge, { sendStatus: "failed", sendError: reason });
      log.error("otp send impossible", { ...meta, reason });
      throw new PermanentJobError(reason);
    }
    const missing = bound.missingSendFields();
    if (env.SANDBOX || missing.length > 0) {
      await settle(services, challenge, { sendStatus: "simulated" });
      log.info("otp send simulated", { ...meta, reason: env.SANDBOX ? "SANDBOX=true" : `no ${missing.join(", ")}` });
      return { simulated: true };
    }

    const keyring = await otpKeyring(env);
    let code: string;
    try {
      code = await keyring.open(challenge.keyId, challenge.id, challenge.codeSealed);
    } catch (error) {
      const reason = error instanceof UnknownOtpKeyError ? error.message : "the sealed code does not decrypt";
      await settle(services, challenge, { sendStatus: "failed", sendError: reason });
      throw new PermanentJobError(reason);
    }
    const settings = await readOtpSettings(db, env, challenge.organizationId);
    const minutes = Math.max(1, Math.round((challenge.expiresAt.getTime() - challenge.createdAt.getTime()) / 60_000));
    const template = needsTemplate(bound) ? settings.whatsappTemplate : null;
    if (needsTemplate(bound) && !template) {
      await settle(services, challenge, { sendStatus: "failed", sendError: "no whatsappTemplate is configured" });
      throw new PermanentJobError("no whatsappTemplate is configured");
    }
    const message: OutboundMessage = template
      ? {
          kind: "template",
          name: template,
          language: settings.whatsappTemplateLanguage,
          variables: [code],
          buttonCode: code,
        }
      : { kind: "text", text: fill(settings.smsText, code, minutes) };

    await db
      .update(otpChallenges)
      .set({ sendAttempts: sql`${otpChallenges.sendAttempts} + 1` })
      .where(eq(otpChallenges.id, challenge.id));
    try {
      const { providerMessageId } = await bound.send(
        {
          baseUrl: baseUrl(env, bound.adapter.baseUrlEnv, bound.adapter.defaultBaseUrl),
          fetch,
          publicUrl: env.PUBLIC_URL,
          channelId: channel.id,
        },
        { phone: challenge.phone },
        message,
      );
      await settle(services, challenge, { sendStatus: "sent", providerMessageId });
      log.info("otp sent", { ...meta, providerMessageId });
      return { providerMessageId };
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      // A provider that echoes the request in its error must not carry the code into logs or rows.
      const said = error.message.replaceAll(code, "******");
      if (error.options.retryable) throw new RetryableJobError(said, error.options.retryAfter);
      // The provider refused the message itself (a bad number, a template it does not know).
      const sendError = `${error.options.code ?? "rejected"}: ${said}`.slice(0, 500);
      await settle(services, challenge, { sendStatus: "failed", sendError });
      log.warn("otp send rejected by provider", { ...meta, code: error.options.code, error: said });
      return { failed: error.options.code ?? "rejected" };
    }
  },
  async onDead(services, { challengeId }, error) {
    const [challenge] = await services.db.select().from(otpChallenges).where(eq(otpChallenges.id, challengeId));
    if (challenge) await settle(services, challenge, { sendStatus: "failed", sendError: error.slice(0, 500) });
  },
});
