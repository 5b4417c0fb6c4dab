import { and, eq, isNull } from "drizzle-orm";
import * as z from "zod";
import { isBlocked } from "@/blocklist/check";
import { ProviderError } from "@/channels/http";
import { callPlacements, calls, channels, contacts } from "@/db/schema";
import { defineJob } from "@/jobs/define";
import { PermanentJobError, RetryableJobError } from "@/jobs/errors";
import type { Database } from "@/platform/db";
import type { Env } from "@/platform/env";
import { retellApi } from "../retell/api";
import { createRetellPhoneCall } from "../retell/phone-call";
import { createTwilioCall } from "../twilio/calls-api";
import { nextCallerId } from "./caller-id";
import { dialChannel, dialProviders, TWILIO_DEFAULT_API_URL } from "./dial";
import { isPlaceholder, linkProviderCall, simulatedCallId } from "./link";

export const PLACE_CALL_JOB = "call.place";
/** With the 10 s doubling backoff, about ten minutes of provider trouble before the call fails. */
export const PLACE_MAX_ATTEMPTS = 6;

type CallRow = typeof calls.$inferSelect;
type Failure = { code: string; message: string };

/** A call that will never be placed: failed, with the reason on its placement (once: a later reason does not replace it). */
async function fail(db: Database, call: CallRow, failure: Failure) {
  await db.transaction(async (tx) => {
    const failed = await tx
      .update(calls)
      .set({ status: "failed", endedAt: new Date(), disconnectionReason: failure.code })
      .where(and(eq(calls.id, call.id), eq(calls.status, "queued")))
      .returning({ id: calls.id });
    if (failed.length)
      await tx.update(callPlacements).set({ error: failure }).where(eq(callPlacements.callId, call.id));
  });
  return { failed: failure.code };
}

/** The webhook URLs of a placed Twilio call; `callId` names the call before Twilio's CallSid is stored. */
function twilioUrls(env: Env, channelId: string, callId: string) {
  const base = `${env.PUBLIC_URL}/webhooks/twilio/${channelId}`;
  const query = `?callId=${callId}`;
  return {
    url: `${base}/outbound${query}`,
    statusCallback: `${base}/voice-status${query}`,
    recordingStatusCallback: `${base}/recording-status${query}`,
  };
}

/**
 * Places one queued outbound call through its channel's provider. At most one provider call per
 * call, whatever the deliveries: the attempt is committed on the placement before the provider is
 * called, and a delivery that finds an attempt without a provider call id does not dial again (the
 * first may have rung the customer; its outcome is recorded as unknown). A 429/5xx answer means
 * Twilio or Retell did not take the call: the attempt is cleared and the job retried.
 */
export const placeCallJob = defineJob({
  name: PLACE_CALL_JOB,
  payload: z.object({ callId: z.uuid() }),
  async handle({ db, env, log }, { callId }) {
    const [row] = await db
      .select({ call: calls, placement: callPlacements, channel: channels, contact: contacts })
      .from(calls)
      .innerJoin(callPlacements, eq(callPlacements.callId, calls.id))
      .leftJoin(channels, eq(channels.id, calls.channelId))
      .leftJoin(contacts, eq(contacts.id, calls.contactId))
      .where(eq(calls.id, callId));
    if (!row) throw new PermanentJobError(`call ${callId} does not exist`);
    const { call, placement, channel, contact } = row;
    if (call.status !== "queued" || !isPlaceholder(call.providerCallId) || placement.placedAt) {
      return { skipped: call.status };
    }
    if (placement.attemptedAt) {
      const unknown = { code: "outcome_unknown", message: "an earlier attempt may have dialed; not dialing again" };
      await db.update(callPlacements).set({ error: unknown }).where(eq(callPlacements.callId, call.id));
      log.warn("call placement outcome unknown: not dialing again", { callId });
      return { skipped: unknown.code };
    }
    if (!channel?.active)
      return fail(db, call, { code: "channel_unavailable", message: "the channel is gone or inactive" });
    const to = call.toNumber ?? "";
    // The number may have been blocked, or the contact opted out, since the call was asked for.
    if (await isBlocked(db, call.organizationId, to)) {
      return fail(db, call, { code: "blocked_number", message: "the number was blocked before the call was placed" });
    }
    if (contact?.optOut) return fail(db, call, { code: "opted_out", message: "the contact opted out" });
    const dial = await dialChannel(env, channel);
    if (dial.type === null) {
      await fail(db, call, dial);
      throw new PermanentJobError(dial.message);
    }

    const [claimed] = await db
      .update(callPlacements)
      .set({ attemptedAt: new Date() })
      .where(and(eq(callPlacements.callId, call.id), isNull(callPlacements.attemptedAt)))
      .returning({ callId: callPlacements.callId });
    if (!claimed) return { skipped: "another delivery is placing it" };

    const from =
      dial.type === "twilio_voice" ? await nextCallerId(db, channel, dial.config.phoneNumbers) : dial.config.fromNumber;
    const providerAgentId =
      dial.type === "retell" ? (call.providerAgentId ?? dial.config.defaultAgentId ?? null) : null;
    await db
      .update(calls)
      .set({ fromNumber: from, callerId: from, ...(providerAgentId ? { providerAgentId } : {}) })
      .where(eq(calls.id, call.id));

    if (env.SANDBOX) {
      await db.transaction(async (tx) => {
        await tx
          .update(calls)
          .set({
            status: "canceled",
            providerCallId: simulatedCallId(call.id),
            endedAt: new Date(),
            disconnectionReason: "simulated",
          })
          .where(eq(calls.id, call.id));
        await tx
          .update(callPlacements)
          .set({ simulated: true, placedAt: new Date() })
          .where(eq(callPlacements.callId, call.id));
      });
      log.info("outbound call simulated", { callId, channelId: channel.id, reason: "SANDBOX=true" });
      return { simulated: "SANDBOX=true" };
    }

    let providerCallId: string;
    try {
      providerCallId =
        dial.type === "twilio_voice"
          ? await createTwilioCall(
              { baseUrl: env.TWILIO_API_URL ?? TWILIO_DEFAULT_API_URL, fetch },
              {
                accountSid: dial.config.accountSid,
                authToken: dial.config.authToken,
                from,
                to,
                ...twilioUrls(env, channel.id, call.id),
                record: placement.record,
                machineDetection: placement.machineDetection,
              },
            )
          : await createRetellPhoneCall(retellApi(env, dial.config.apiKey), {
              from,
              to,
              agentId: providerAgentId,
              metadata: { ...call.metadata, switchboardCallId: call.id },
            });
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      const { status, retryable, retryAfter, code } = error.options;
      if (status === undefined || status < 300) {
        // A timeout, a broken connection, or a 2xx without a readable id: the provider may have
        // taken the call. Not dialing again; its callbacks (carrying callId) can still link it.
        const unknown = { code: "outcome_unknown", message: error.message };
        await db.update(callPlacements).set({ error: unknown }).where(eq(callPlacements.callId, call.id));
        log.warn("call placement outcome unknown", { callId, error: error.message });
        return { unknown: error.message };
      }
      if (retryable) {
        // The provider answered 429/5xx: it did not take the call, so a later attempt may dial.
        await db.update(callPlacements).set({ attemptedAt: null }).where(eq(callPlacements.callId, call.id));
        throw new RetryableJobError(error.message, retryAfter);
      }
      log.warn("outbound call rejected by provider", { callId, code, error: error.message });
      return fail(db, call, { code: code ?? "rejected", message: error.message });
    }
    const linked = await linkProviderCall(db, {
      organizationId: call.organizationId,
      callId: call.id,
      provider: dialProviders[dial.type],
      providerCallId,
    });
    // Null: another organization's call already holds this provider id; its callbacks stay there.
    const conflict = linked ? null : { code: "provider_call_id_taken", message: `${providerCallId} is another call's` };
    if (conflict) log.error("placed call's provider id belongs to another call", { callId, providerCallId });
    await db
      .update(callPlacements)
      .set({ placedAt: new Date(), error: conflict })
      .where(eq(callPlacements.callId, call.id));
    return { providerCallId };
  },
  async onDead({ db }, { callId }, lastError) {
    const [call] = await db.select().from(calls).where(eq(calls.id, callId));
    if (call) await fail(db, call, { code: "gave_up", message: `not placed after all retries: ${lastError}` });
  },
});
