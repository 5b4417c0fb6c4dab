import { and, eq } from "drizzle-orm";
import * as z from "zod";
import { blockedOn } from "@/blocklist/check";
import { ProviderError } from "@/channels/http";
import { bindChannel, type ChannelBinding } from "@/channels/registry";
import { type ChannelRow, openCredentials } from "@/channels/secrets";
import type { OutboundMessage, Recipient } from "@/channels/types";
import { blockedNumbers, channels, contactIdentities, contacts, messages } from "@/db/schema";
import { defineJob } from "@/jobs/define";
import { PermanentJobError, RetryableJobError } from "@/jobs/errors";
import { applyPendingStatuses } from "@/messages/statuses";
import type { Env } from "@/platform/env";
import { markSendAttempt } from "./attempts";

type MessageRow = typeof messages.$inferSelect;

function toOutbound(message: MessageRow): OutboundMessage {
  if (message.type === "template") {
    const t = message.content as { name: string; language: string; variables?: string[] };
    return { kind: "template", name: t.name, language: t.language, variables: t.variables };
  }
  if (message.type === "text") return { kind: "text", text: message.body ?? "" };
  return {
    kind: "media",
    mediaUrl: message.media?.url ?? "",
    mediaType: message.type as "image" | "audio" | "video" | "document",
    caption: message.media?.caption ?? undefined,
  };
}

/** Failure codes of messages no provider has seen: an admin's retry of the dead job may send them. */
const NOT_SENT = new Set(["gave_up", "credentials_unreadable", "credentials_invalid", "unknown_channel_type"]);

/** The channel's adapter bound to its credentials, or why it cannot be: credentials that do not decrypt or fit. */
async function bind(
  env: Env,
  channel: ChannelRow,
): Promise<ChannelBinding | { ok: false; code: string; message: string }> {
  let config: Record<string, unknown>;
  try {
    config = await openCredentials(env, channel);
  } catch {
    return {
      ok: false,
      code: "credentials_unreadable",
      message: "the channel's stored credentials do not decrypt (ENCRYPTION_KEY changed?): enter them again",
    };
  }
  return bindChannel(channel.type, config);
}

/** The provider API base URL: the env variable the adapter names (tests point it at a fake), else production's. */
export function baseUrl(env: Env, name: string, fallback: string): string {
  const value = (env as Record<string, unknown>)[name];
  return typeof value === "string" && value ? value : fallback;
}

/**
 * Sends one queued outbound message through its ticket's channel. The message row is the
 * idempotency key: once it left `queued` (sent, simulated, failed) a redelivery sends nothing.
 */
export const sendMessageJob = defineJob({
  name: "message.send",
  payload: z.object({ messageId: z.uuid() }),
  async handle({ db, env, log }, { messageId }) {
    const [row] = await db
      .select({
        message: messages,
        channel: channels,
        contact: contacts,
        blockedId: blockedNumbers.id,
      })
      .from(messages)
      .innerJoin(contacts, eq(contacts.id, messages.contactId))
      .leftJoin(channels, eq(channels.id, messages.channelId))
      .leftJoin(blockedNumbers, blockedOn(messages.organizationId, contacts.phone))
      .where(eq(messages.id, messageId));
    if (!row) throw new PermanentJobError(`message ${messageId} does not exist`);
    const { message, channel, contact, blockedId } = row;
    // Sendable: queued, or failed before any provider saw it (an earlier job gave up retrying, or the
    // channel's credentials were broken) and an admin retried the dead job. A message the provider
    // refused or already took is never sent again.
    const unsent = message.status === "failed" && NOT_SENT.has(message.error?.code ?? "");
    if ((message.status !== "queued" && !unsent) || message.providerMessageId) return { skipped: message.status };
    if (!channel) throw new PermanentJobError("the message's channel is gone or cannot send");

    const queued = and(eq(messages.id, message.id), eq(messages.status, message.status));
    const binding = await bind(env, channel);
    if (!binding.ok) {
      // Every attempt would fail alike: the message fails now, and the job becomes a dead letter an
      // admin can retry once the channel is fixed.
      await db
        .update(messages)
        .set({ status: "failed", error: { code: binding.code, message: binding.message } })
        .where(queued);
      log.error("outbound send impossible: channel credentials", {
        messageId,
        channelId: channel.id,
        code: binding.code,
      });
      throw new PermanentJobError(binding.message);
    }
    if (blockedId) {
      // Blocked after the message was queued: it is not sent.
      await db
        .update(messages)
        .set({ status: "failed", error: { code: "blocked_number", message: "the number was blocked before sending" } })
        .where(queued);
      return { failed: "blocked_number" };
    }
    const bound = binding.channel;
    const adapter = bound.adapter;
    const missing = bound.missingSendFields();
    if (env.SANDBOX || missing.length > 0) {
      const reason = env.SANDBOX ? "SANDBOX=true" : `channel has no ${missing.join(", ")}`;
      await db.update(messages).set({ status: "simulated", sentAt: new Date() }).where(queued);
      log.info("outbound send simulated", { messageId, channelId: channel.id, reason });
      return { simulated: reason };
    }

    const [identity] = await db
      .select({ kind: contactIdentities.kind, externalId: contactIdentities.externalId })
      .from(contactIdentities)
      .where(and(eq(contactIdentities.contactId, contact.id), eq(contactIdentities.kind, adapter.provider)));
    const to: Recipient = { phone: contact.phone ?? undefined, identity };
    if (!(await markSendAttempt(db, message))) return { skipped: "changed while sending" };
    try {
      const { providerMessageId } = await bound.send(
        {
          baseUrl: baseUrl(env, adapter.baseUrlEnv, adapter.defaultBaseUrl),
          fetch,
          publicUrl: env.PUBLIC_URL,
          channelId: channel.id,
        },
        to,
        toOutbound(message),
      );
      await db.transaction(async (tx) => {
        await tx
          .update(messages)
          .set({ status: "sent", providerMessageId, sentAt: new Date(), error: null })
          .where(queued);
        await applyPendingStatuses(tx, channel.id, providerMessageId);
      });
      return { providerMessageId };
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      if (error.options.retryable) throw new RetryableJobError(error.message, error.options.retryAfter);
      // The provider refused the message itself: retrying cannot help, the message failed.
      await db
        .update(messages)
        .set({ status: "failed", error: { code: error.options.code, message: error.message } })
        .where(queued);
      log.warn("outbound send rejected by provider", { messageId, code: error.options.code, error: error.message });
      return { failed: error.options.code ?? "rejected" };
    }
  },
  async onDead({ db }, { messageId }, lastError) {
    await db
      .update(messages)
      .set({ status: "failed", error: { code: "gave_up", message: `not sent after all retries: ${lastError}` } })
      .where(and(eq(messages.id, messageId), eq(messages.status, "queued")));
  },
});
