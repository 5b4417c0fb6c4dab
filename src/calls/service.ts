import { and, asc, desc, eq, gte, lt, type SQL, sql } from "drizzle-orm";
import * as z from "zod";
import { callEvents, callPlacements, calls, contacts } from "@/db/schema";
import type { Executor } from "@/platform/db";
import { ApiError } from "@/platform/errors";
import type { CallListRow } from "./schemas";

export type CallFilters = {
  status?: string;
  direction?: "inbound" | "outbound";
  channelId?: string;
  provider?: string;
  contactId?: string;
  agentId?: string;
  from?: Date;
  to?: Date;
};

/** When a call happened, for date ranges and the timeline: its start, or its row's creation if unknown. */
export const callAt = sql<Date>`coalesce(${calls.startedAt}, ${calls.createdAt})`;

const isUuid = (value: string) => z.uuid().safeParse(value).success;

/** The filters as conditions; `agentId` is a user's id or a voice agent's (Retell, ElevenLabs). */
export function callConditions(organizationId: string, f: CallFilters): SQL | undefined {
  return and(
    eq(calls.organizationId, organizationId),
    f.status ? eq(calls.status, f.status) : undefined,
    f.direction ? eq(calls.direction, f.direction) : undefined,
    f.channelId ? eq(calls.channelId, f.channelId) : undefined,
    f.provider ? eq(calls.provider, f.provider) : undefined,
    f.contactId ? eq(calls.contactId, f.contactId) : undefined,
    f.agentId ? (isUuid(f.agentId) ? eq(calls.agentId, f.agentId) : eq(calls.providerAgentId, f.agentId)) : undefined,
    f.from ? gte(callAt, f.from) : undefined,
    f.to ? lt(callAt, f.to) : undefined,
  );
}

const listColumns = {
  call: calls,
  contact: { id: contacts.id, name: contacts.name, phone: contacts.phone },
  simulated: callPlacements.simulated,
};

/** A page of the organization's calls, newest first (keyset on the UUIDv7 id). */
export async function listCalls(
  db: Executor,
  organizationId: string,
  filters: CallFilters,
  page: { limit: number; after?: string },
): Promise<CallListRow[]> {
  const rows = await db
    .select(listColumns)
    .from(calls)
    .leftJoin(contacts, eq(contacts.id, calls.contactId))
    .leftJoin(callPlacements, eq(callPlacements.callId, calls.id))
    .where(and(callConditions(organizationId, filters), page.after ? lt(calls.id, page.after) : undefined))
    .orderBy(desc(calls.id))
    .limit(page.limit + 1);
  return rows;
}

/** One call with its placement and its events, in the order they happened. */
export async function getCall(db: Executor, organizationId: string, id: string) {
  const [row] = await db
    .select({ ...listColumns, placement: callPlacements })
    .from(calls)
    .leftJoin(contacts, eq(contacts.id, calls.contactId))
    .leftJoin(callPlacements, eq(callPlacements.callId, calls.id))
    .where(and(eq(calls.organizationId, organizationId), eq(calls.id, id)));
  if (!row) throw new ApiError("NOT_FOUND", "No such call in this organization.");
  const events = await db
    .select({
      id: callEvents.id,
      kind: callEvents.kind,
      payload: callEvents.payload,
      occurredAt: callEvents.occurredAt,
    })
    .from(callEvents)
    .where(and(eq(callEvents.callId, id), eq(callEvents.organizationId, organizationId)))
    .orderBy(asc(callEvents.occurredAt), asc(callEvents.id))
    .limit(1000);
  return { ...row, events };
}
