import { and, eq } from "drizzle-orm";
import { blockedOn } from "@/blocklist/check";
import { adapterFor, serviceWindowApplies } from "@/channels/registry";
import { openCredentials } from "@/channels/secrets";
import { blockedNumbers, channels, contacts, messages, tickets } from "@/db/schema";
import { enqueue, type OutboxRow } from "@/jobs/outbox";
import { chatwootSyncJob, mirrorsToChatwoot } from "@/leads/chatwoot-mirror";
import type { Transaction } from "@/platform/db";
import type { Env } from "@/platform/env";
import { ApiError } from "@/platform/errors";
import type { Principal } from "@/platform/principal";
import { answeredSla } from "@/sla/policy";
import { recordHistory } from "@/tickets/history";
import type { MessageRow } from "@/tickets/schemas";
import { getTicket } from "@/tickets/service";

export type OutboundRequest =
  | { type: "text"; text: string }
  | { type: "media"; mediaUrl: string; mediaType: "image" | "audio" | "video" | "document"; caption?: string }
  | { type: "template"; template: { name: string; language: string; variables?: string[] } };

/** Who writes an outbound message: a person (user or API key) or the AI agent (id: the agent's). */
export type Author = Pick<Principal, "id" | "organizationId"> & { type: Principal["type"] | "ai" };

const SERVICE_WINDOW_MS = 24 * 3600 * 1000;
/** Attempts of a send job: with the 10 s doubling backoff, about ten minutes of provider trouble. */
export const SEND_MAX_ATTEMPTS = 6;

/**
 * Validates and records an agent's (or the bot's) message on a ticket, with its send job, in the
 * caller's transaction. The message is `queued`; the job sends it.
 */
export async function queueOutbound(
  tx: Transaction,
  env: Env,
  author: Author,
  ticketId: string,
  request: OutboundRequest,
): Promise<{ message: MessageRow; jobs: OutboxRow[] }> {
  const ticket = await getTicket(tx, author.organizationId, ticketId, true);
  if (ticket.status === "closed") throw new ApiError("CONFLICT", "The ticket is closed; reopen it or open a new one.");
  const [channel] = ticket.channelId ? await tx.select().from(channels).where(eq(channels.id, ticket.channelId)) : [];
  const adapter = channel ? adapterFor(channel.type) : undefined;
  if (!channel || !adapter) throw new ApiError("CONFLICT", "The ticket has no channel to answer on.");
  if (!channel.active) throw new ApiError("CONFLICT", "The ticket's channel is inactive.");
  const [row] = await tx
    .select({ contact: contacts, blockedId: blockedNumbers.id })
    .from(contacts)
    .leftJoin(blockedNumbers, blockedOn(contacts.organizationId, contacts.phone))
    .where(eq(contacts.id, ticket.contactId));
  const contact = row?.contact;
  if (row?.blockedId) {
    throw new ApiError("BLOCKED_NUMBER", "The contact's number is on the organization's blocklist.");
  }
  if (request.type === "template" && contact?.optOut) {
    throw new ApiError("CONFLICT", "The contact opted out; proactive (template) messages are not sent to them.");
  }
  // Credentials that no longer decrypt are the send job's to report (the message fails with a
  // clear code); here they only mean the window check cannot apply.
  const credentials = await openCredentials(env, channel).catch(() => undefined);
  if (request.type !== "template" && serviceWindowApplies(channel.type, credentials)) {
    const last = ticket.lastInboundAt?.getTime() ?? 0;
    if (Date.now() - last > SERVICE_WINDOW_MS) {
      throw new ApiError(
        "CONFLICT",
        "WhatsApp's 24-hour customer service window is closed (no message from the customer in 24 h): only template messages can be sent.",
      );
    }
  }

  const now = new Date();
  const [message] = await tx
    .insert(messages)
    .values({
      organizationId: ticket.organizationId,
      ticketId: ticket.id,
      channelId: channel.id,
      contactId: ticket.contactId,
      direction: "outbound",
      type: request.type === "media" ? request.mediaType : request.type,
      body: request.type === "text" ? request.text : request.type === "media" ? (request.caption ?? null) : null,
      media: request.type === "media" ? { url: request.mediaUrl, caption: request.caption } : null,
      content: request.type === "template" ? request.template : null,
      status: "queued",
      senderType: author.type,
      senderId: author.type === "user" ? author.id : null,
    })
    .returning();
  if (!message) throw new Error("message insert returned nothing");
  await tx
    .update(tickets)
    .set({
      lastMessageAt: now,
      unreadCount: 0,
      ...(ticket.firstResponseAt ? {} : { firstResponseAt: now }),
      ...answeredSla(ticket, now), // SLA: a waiting customer is answered (src/sla)
    })
    .where(and(eq(tickets.id, ticket.id)));
  if (!ticket.firstResponseAt) {
    await recordHistory(tx, {
      organizationId: ticket.organizationId,
      ticketId: ticket.id,
      actor: { type: author.type, id: author.id },
      action: "first_response",
      changes: { firstResponseAt: { before: null, after: now.toISOString() } },
    });
  }
  const mirror = await mirrorsToChatwoot(tx, ticket.organizationId);
  const jobs = await enqueue(tx, [
    {
      name: "message.send",
      organizationId: ticket.organizationId,
      payload: { messageId: message.id },
      dedupeKey: `message.send:${message.id}`,
      maxAttempts: SEND_MAX_ATTEMPTS,
    },
    // After the send: local delivery runs jobs in order, and the mirror must not delay the customer.
    ...(mirror ? [chatwootSyncJob(ticket.organizationId, ticket.id, message.id)] : []),
  ]);
  return { message, jobs };
}
