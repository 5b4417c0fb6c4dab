import { and, eq, ne, sql } from "drizzle-orm";
import { callEvents, calls } from "@/db/schema";
import type { Executor } from "@/platform/db";
import { type CallRow, type CallStatus, upsertCall } from "../calls";

/**
 * An outbound call's row exists before the provider has named the call: its providerCallId is a
 * placeholder (`pending:<id>`; `simulated:<id>` in the sandbox), unique like any other, so the
 * callbacks' upsertCall (keyed by provider and provider call id) never matches it by accident.
 */
export const pendingCallId = (callId: string) => `pending:${callId}`;
export const simulatedCallId = (callId: string) => `simulated:${callId}`;
export const isPlaceholder = (providerCallId: string) =>
  providerCallId.startsWith("pending:") || providerCallId.startsWith("simulated:");

/** What a callback-made row knows that the placed call's row must keep: everything but who and where. */
const IDENTITY = new Set([
  "id",
  "organizationId",
  "provider",
  "providerCallId",
  "direction",
  "channelId",
  "contactId",
  "fromNumber",
  "toNumber",
  "callerId",
  "createdAt",
  "updatedAt",
]);

/**
 * Gives a placed call its provider call id (Twilio's CallSid, Retell's call_id), so the provider's
 * callbacks, which upsert by that id, update this row. A callback can beat the job here (Twilio may
 * report `initiated` before its answer to the create is read): it then made a row of its own, which
 * is folded into this one in the same transaction (its events moved, its progress applied with
 * upsertCall's forward-only rules) and removed. A callback arriving meanwhile waits on the row
 * locks and the unique index, then lands on this row. Returns the linked row, or null when this
 * call already carries another provider id, or another organization's call holds this one (both
 * are left alone). Inside a caller's transaction (a status callback's) it runs as a savepoint.
 */
export async function linkProviderCall(
  db: Executor,
  link: { organizationId: string; callId: string; provider: string; providerCallId: string },
): Promise<CallRow | null> {
  return db.transaction(async (tx) => {
    const [mine] = await tx
      .select()
      .from(calls)
      .where(and(eq(calls.id, link.callId), eq(calls.organizationId, link.organizationId)))
      .for("update");
    if (!mine) return null;
    if (mine.providerCallId === link.providerCallId && mine.provider === link.provider) return mine;
    if (!isPlaceholder(mine.providerCallId)) return null;
    const [theirs] = await tx
      .select()
      .from(calls)
      .where(
        and(eq(calls.provider, link.provider), eq(calls.providerCallId, link.providerCallId), ne(calls.id, mine.id)),
      )
      .for("update");
    // Provider ids are unique per provider, not per organization: another tenant's row is never touched.
    if (theirs && theirs.organizationId !== mine.organizationId) return null;
    if (theirs) {
      // Keys this call already has win; the rest of the other row's events move over.
      await tx
        .delete(callEvents)
        .where(
          and(
            eq(callEvents.callId, theirs.id),
            sql`${callEvents.key} in (select ${callEvents.key} from ${callEvents} where ${callEvents.callId} = ${mine.id})`,
          ),
        );
      await tx.update(callEvents).set({ callId: mine.id }).where(eq(callEvents.callId, theirs.id));
      await tx.delete(calls).where(eq(calls.id, theirs.id));
    }
    const [linked] = await tx
      .update(calls)
      .set({ providerCallId: link.providerCallId, provider: link.provider })
      .where(eq(calls.id, mine.id))
      .returning();
    if (!linked || !theirs) return linked ?? null;
    const progress = Object.fromEntries(Object.entries(theirs).filter(([field]) => !IDENTITY.has(field)));
    return upsertCall(tx, {
      ...progress,
      organizationId: mine.organizationId,
      provider: link.provider,
      providerCallId: link.providerCallId,
      direction: mine.direction,
      status: theirs.status as CallStatus,
    });
  });
}
