import { type SQL, sql } from "drizzle-orm";
import { toSnakeCase } from "drizzle-orm/casing";
import { upsertPhoneContact } from "@/contacts/service";
import { callEvents, calls, contacts, type MessageDirection } from "@/db/schema";
import type { Executor } from "@/platform/db";
import { senderPhone } from "@/platform/phone";

/**
 * One vocabulary of call statuses for every provider (Twilio's): Retell's and ElevenLabs' map onto
 * it. A call's status only moves forward: callbacks arrive out of order and twice, and a late
 * `ringing` must never undo `completed`.
 */
export const callStatuses = [
  "queued",
  "ringing",
  "in-progress",
  "completed",
  "busy",
  "no-answer",
  "failed",
  "canceled",
] as const;
export type CallStatus = (typeof callStatuses)[number];
export const terminalStatuses: readonly CallStatus[] = ["completed", "busy", "no-answer", "failed", "canceled"];

export function statusRank(status: string): number {
  if (status === "queued") return 0;
  if (status === "ringing") return 1;
  if (status === "in-progress") return 2;
  return (terminalStatuses as readonly string[]).includes(status) ? 3 : -1;
}

/** statusRank in SQL, for forward-only updates inside one statement. */
const rankSql = (status: SQL | string) =>
  sql`(case ${status} when 'queued' then 0 when 'ringing' then 1 when 'in-progress' then 2
    when 'completed' then 3 when 'busy' then 3 when 'no-answer' then 3 when 'failed' then 3 when 'canceled' then 3
    else -1 end)`;

/** The stored status, or `next` when it is further along: the forward-only rule as an expression. */
export const forwardStatus = (next: SQL) =>
  sql`case when ${rankSql(next)} > ${rankSql(sql`${calls.status}`)} then ${next} else ${calls.status} end`;

export type CallRow = typeof calls.$inferSelect;
type CallFields = Partial<Omit<CallRow, "id" | "organizationId" | "provider" | "providerCallId" | "createdAt">>;

/**
 * Creates or updates a provider's call (unique by provider and call id) in one statement. Given
 * fields overwrite stored ones (an absent or null field keeps what is stored), except `status`,
 * which only moves forward, `startedAt`, which keeps the earliest, and `metadata`, which merges.
 * Events in any order therefore give the same final row.
 */
export async function upsertCall(
  db: Executor,
  call: {
    organizationId: string;
    provider: string;
    providerCallId: string;
    direction: MessageDirection;
    status: CallStatus;
  } & CallFields,
): Promise<CallRow> {
  const set: Record<string, SQL> = {
    status: forwardStatus(sql`excluded.status`),
    startedAt: sql`least(${calls.startedAt}, excluded.started_at)`,
    metadata: sql`${calls.metadata} || excluded.metadata`,
    updatedAt: sql`now()`,
  };
  const keep = new Set([
    "organizationId",
    "provider",
    "providerCallId",
    "direction",
    "status",
    "startedAt",
    "metadata",
  ]);
  for (const [field, value] of Object.entries(call)) {
    if (keep.has(field) || value === undefined || value === null) continue;
    const column = calls[field as keyof CallFields];
    // The app's drizzle instances map property names with casing: "snake_case".
    set[field] = sql`coalesce(excluded.${sql.identifier(toSnakeCase(field))}, ${column})`;
  }
  const [row] = await db
    .insert(calls)
    .values({ metadata: {}, ...call })
    // Provider call ids are unique per provider, not per organization: a tenant who signs its own
    // webhooks must not be able to write into another tenant's call by naming its id.
    .onConflictDoUpdate({
      target: [calls.provider, calls.providerCallId],
      set,
      setWhere: sql`${calls.organizationId} = excluded.organization_id`,
    })
    .returning();
  if (!row) throw new ForeignCallError(call.provider, call.providerCallId);
  return row;
}

/** The provider's call id is already another organization's call: nothing was written. */
export class ForeignCallError extends Error {
  constructor(provider: string, providerCallId: string) {
    super(`${provider} call ${providerCallId} belongs to another organization`);
  }
}

/**
 * Records one provider callback of a call, once: a redelivery (same key) inserts nothing and
 * answers false, so the caller can skip the side effects it already had.
 */
export async function recordCallEvent(
  db: Executor,
  event: {
    organizationId: string;
    callId: string;
    kind: string;
    key: string;
    payload: Record<string, unknown>;
    occurredAt?: Date;
  },
): Promise<boolean> {
  const rows = await db
    .insert(callEvents)
    .values({ ...event, occurredAt: event.occurredAt ?? new Date() })
    .onConflictDoNothing({ target: [callEvents.callId, callEvents.key] })
    .returning({ id: callEvents.id });
  return rows.length > 0;
}

/**
 * The contact behind a caller's number (created on first contact), with the messaging rules:
 * E.164, a Brazilian mobile with or without the ninth digit is one contact, a number
 * libphonenumber rejects is kept unverified. Null for a caller without a usable number
 * (anonymous, `client:` identities).
 */
export async function callerContact(
  db: Executor,
  organizationId: string,
  raw: string | null | undefined,
): Promise<string | null> {
  const sender = raw ? senderPhone(raw) : null;
  if (!sender) return null;
  const [row] = await upsertPhoneContact(db, {
    organizationId,
    phone: sender.phone,
    phoneVerified: sender.verified,
  }).returning({ id: contacts.id });
  return row?.id ?? null;
}
