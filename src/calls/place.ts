import { and, eq, isNull } from "drizzle-orm";
import { v7 as uuidv7 } from "uuid";
import * as z from "zod";
import { isBlocked } from "@/blocklist/check";
import { callPlacements, calls, channels, contacts, retellAgents, users } from "@/db/schema";
import { enqueue, type QueuedJob } from "@/jobs/outbox";
import type { Transaction } from "@/platform/db";
import { ApiError } from "@/platform/errors";
import { normalizePhone } from "@/platform/phone";
import type { Principal } from "@/platform/principal";
import { type CallRow, callerContact } from "@/voice/calls";
import { dialProviders, isDialable } from "@/voice/place/dial";
import { PLACE_CALL_JOB, PLACE_MAX_ATTEMPTS } from "@/voice/place/job";
import { pendingCallId } from "@/voice/place/link";

export type PlaceCallRequest = {
  channelId: string;
  to: string;
  agentId?: string;
  record: boolean;
  machineDetection: boolean;
  metadata?: Record<string, unknown>;
};

const uuid = z.uuid();

type CallContact = { id: string; name: string | null; phone: string | null } | null;

/** The person a Twilio call connects to: a user of the organization. */
async function agentOf(tx: Transaction, organizationId: string, agentId: string): Promise<string> {
  const [agent] = uuid.safeParse(agentId).success
    ? await tx
        .select({ id: users.id })
        .from(users)
        .where(and(eq(users.id, agentId), eq(users.organizationId, organizationId), eq(users.active, true)))
    : [];
  if (!agent) throw new ApiError("NOT_FOUND", "No such agent in this organization.");
  return agent.id;
}

/**
 * The Retell agent a call overrides the number's with: the organization's mirrored agent by its id
 * or Retell's agent_id, or an agent made in Retell's dashboard (not mirrored: Retell decides). An
 * agent another organization mirrored is a 404.
 */
async function retellAgentOf(tx: Transaction, organizationId: string, agentId: string): Promise<string> {
  const byId = uuid.safeParse(agentId).success;
  const rows = await tx
    .select({ organizationId: retellAgents.organizationId, remoteAgentId: retellAgents.remoteAgentId })
    .from(retellAgents)
    .where(byId ? eq(retellAgents.id, agentId) : eq(retellAgents.remoteAgentId, agentId));
  const mine = rows.find((row) => row.organizationId === organizationId);
  if (mine) return mine.remoteAgentId;
  if (byId || rows.length > 0) throw new ApiError("NOT_FOUND", "No such agent in this organization.");
  return agentId;
}

/**
 * Checks an outbound call and records it (`queued`, outbound, its contact found or created with
 * messaging's phone rules) with its placement and its call.place job, in the caller's
 * transaction. Refusals: 404 another organization's channel or agent, 422 a channel that does not
 * dial or a number that cannot be dialed, 409 an inactive channel, a blocked number
 * (BLOCKED_NUMBER) or an opted-out contact (OPTED_OUT).
 */
export async function queueCall(
  tx: Transaction,
  principal: Principal,
  request: PlaceCallRequest,
): Promise<{ call: CallRow; contact: CallContact; jobs: QueuedJob[] }> {
  const { organizationId } = principal;
  const [channel] = await tx
    .select()
    .from(channels)
    .where(and(eq(channels.id, request.channelId), eq(channels.organizationId, organizationId)));
  if (!channel) throw new ApiError("NOT_FOUND", "No such channel in this organization.");
  if (!isDialable(channel.type)) {
    throw new ApiError(
      "UNPROCESSABLE",
      `A ${channel.type} channel cannot place calls; use a twilio_voice or retell channel.`,
    );
  }
  if (!channel.active) throw new ApiError("CONFLICT", "The channel is inactive.");
  const to = normalizePhone(request.to);
  if (!to) {
    throw new ApiError("UNPROCESSABLE", "`to` is not a phone number that can be dialed (E.164, e.g. +5511987654321).");
  }
  const agentId =
    channel.type === "twilio_voice" && request.agentId ? await agentOf(tx, organizationId, request.agentId) : null;
  const providerAgentId =
    channel.type === "retell" && request.agentId ? await retellAgentOf(tx, organizationId, request.agentId) : null;
  if (await isBlocked(tx, organizationId, to)) {
    throw new ApiError("BLOCKED_NUMBER", "This number is on the organization's blocklist.");
  }
  const [known] = await tx
    .select({ optOut: contacts.optOut })
    .from(contacts)
    .where(and(eq(contacts.organizationId, organizationId), eq(contacts.phone, to), isNull(contacts.mergedIntoId)));
  if (known?.optOut) throw new ApiError("OPTED_OUT", "The contact opted out; no calls are placed to them.");

  const contactId = await callerContact(tx, organizationId, to);
  const [contact] = contactId
    ? await tx
        .select({ id: contacts.id, name: contacts.name, phone: contacts.phone })
        .from(contacts)
        .where(eq(contacts.id, contactId))
    : [];
  const id = uuidv7();
  const [call] = await tx
    .insert(calls)
    .values({
      id,
      organizationId,
      channelId: channel.id,
      contactId,
      provider: dialProviders[channel.type],
      providerCallId: pendingCallId(id),
      direction: "outbound",
      status: "queued",
      toNumber: to,
      agentId,
      // A Retell agent (override_agent_id); none means the channel's default, then the number's own.
      providerAgentId,
      startedAt: new Date(),
      metadata: request.metadata ?? {},
    })
    .returning();
  if (!call) throw new Error("call insert returned nothing");
  await tx.insert(callPlacements).values({
    callId: id,
    organizationId,
    record: request.record,
    machineDetection: request.machineDetection,
    requestedByType: principal.type,
    requestedById: principal.id,
  });
  const jobs = await enqueue(tx, [
    {
      name: PLACE_CALL_JOB,
      organizationId,
      payload: { callId: id },
      dedupeKey: `${PLACE_CALL_JOB}:${id}`,
      maxAttempts: PLACE_MAX_ATTEMPTS,
    },
  ]);
  return { call, contact: contact ?? null, jobs };
}
