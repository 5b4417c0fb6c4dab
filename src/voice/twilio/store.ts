import { and, eq, isNull, sql } from "drizzle-orm";
import * as z from "zod";
import { calls, users } from "@/db/schema";
import type { Executor } from "@/platform/db";
import { type CallRow, type CallStatus, callStatuses } from "../calls";

const uuid = z.uuid();

/** Twilio's CallStatus in Switchboard's vocabulary ("initiated" is the queued of outbound calls); null when unknown. */
export function callStatusOf(raw: string | undefined): CallStatus | null {
  const status = raw?.toLowerCase();
  if (status === "initiated") return "queued";
  return (callStatuses as readonly string[]).includes(status ?? "") ? (status as CallStatus) : null;
}

/**
 * One of the organization's Twilio calls: by Switchboard's id (the `call` query parameter of a URL
 * we gave Twilio), else by the CallSid Twilio sent.
 */
export async function findCall(
  db: Executor,
  organizationId: string,
  ref: { id?: string | null; callSid?: string },
): Promise<CallRow | undefined> {
  const where =
    ref.id && uuid.safeParse(ref.id).success
      ? eq(calls.id, ref.id)
      : ref.callSid
        ? and(eq(calls.provider, "twilio"), eq(calls.providerCallId, ref.callSid))
        : undefined;
  if (!where) return undefined;
  const [row] = await db
    .select()
    .from(calls)
    .where(and(eq(calls.organizationId, organizationId), where));
  return row;
}

/** Merges keys into a call's metadata. */
export async function mergeMetadata(db: Executor, callId: string, patch: Record<string, unknown>): Promise<void> {
  await db
    .update(calls)
    .set({ metadata: sql`${calls.metadata} || ${JSON.stringify(patch)}::jsonb`, updatedAt: new Date() })
    .where(eq(calls.id, callId));
}

/**
 * A person took the call (an agent, or the failover number): the first answer counts, whatever
 * order the callbacks come in. The agent is set with it only when it is a user of the call's
 * organization: the id comes back in a URL's query, which anyone with the auth token can sign.
 */
export async function markAnswered(
  db: Executor,
  callId: string,
  answer: { at: Date; agentId?: string | null; by: "agent" | "failover"; worker?: string | null },
): Promise<void> {
  const agentId = answer.agentId && uuid.safeParse(answer.agentId).success ? answer.agentId : null;
  const meta = { answeredBy: answer.by, ...(answer.worker ? { workerSid: answer.worker } : {}) };
  await db
    .update(calls)
    .set({
      answeredAt: answer.at,
      agentId: agentId
        ? sql`(select ${users.id} from ${users} where ${users.id} = ${agentId} and ${users.organizationId} = ${calls.organizationId})`
        : sql`${calls.agentId}`,
      metadata: sql`${calls.metadata} || ${JSON.stringify(meta)}::jsonb`,
      updatedAt: new Date(),
    })
    .where(and(eq(calls.id, callId), isNull(calls.answeredAt)));
}
