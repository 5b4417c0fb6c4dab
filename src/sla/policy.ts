import { eq } from "drizzle-orm";
import { addOpenSeconds } from "@/business-hours/clock";
import type { BusinessHours } from "@/business-hours/schema";
import { cachedChannel, forgetAllChannels, forgetChannel } from "@/channels/cache";
import { queues, slaSettings, type tickets } from "@/db/schema";
import type { Executor } from "@/platform/db";

type TicketRow = typeof tickets.$inferSelect;

/** A queue's service levels as the clocks read them. */
export type SlaPolicy = {
  firstResponseMinutes: number | null;
  nextResponseMinutes: number | null;
  resolutionMinutes: number | null;
  warningPercent: number;
  /** The opening hours the clocks count; null: every hour counts. */
  hours: BusinessHours | null;
};

const DEFAULT_WARNING_PERCENT = 80;
const NO_POLICY: SlaPolicy = {
  firstResponseMinutes: null,
  nextResponseMinutes: null,
  resolutionMinutes: null,
  warningPercent: DEFAULT_WARNING_PERCENT,
  hours: null,
};

/** What a policy is read from: a queue, left-joined with its organization's SLA settings. */
export const policyColumns = {
  firstResponseMinutes: queues.slaFirstResponseMinutes,
  nextResponseMinutes: queues.slaNextResponseMinutes,
  resolutionMinutes: queues.slaResolutionMinutes,
  warningPercent: queues.slaWarningPercent,
  onlyDuringBusinessHours: queues.slaOnlyDuringBusinessHours,
  queueHours: queues.businessHours,
  organizationHours: slaSettings.businessHours,
};

export type PolicyRow = {
  firstResponseMinutes: number | null;
  nextResponseMinutes: number | null;
  resolutionMinutes: number | null;
  warningPercent: number | null;
  onlyDuringBusinessHours: boolean | null;
  queueHours: BusinessHours | null;
  organizationHours: BusinessHours | null;
};

/**
 * The queue's hours win over the organization's. A policy that counts only business hours where
 * none are configured counts every hour: a clock that never ran would hide every breach.
 */
export function policyOf(row: PolicyRow | undefined): SlaPolicy {
  if (!row) return NO_POLICY;
  return {
    firstResponseMinutes: row.firstResponseMinutes,
    nextResponseMinutes: row.nextResponseMinutes,
    resolutionMinutes: row.resolutionMinutes,
    warningPercent: row.warningPercent ?? DEFAULT_WARNING_PERCENT,
    hours: row.onlyDuringBusinessHours ? (row.queueHours ?? row.organizationHours ?? null) : null,
  };
}

/** The policy of a queue (none without a queue); one query. */
export async function loadPolicy(db: Executor, queueId: string | null): Promise<SlaPolicy> {
  if (!queueId) return NO_POLICY;
  const [row] = await db
    .select(policyColumns)
    .from(queues)
    .leftJoin(slaSettings, eq(slaSettings.organizationId, queues.organizationId))
    .where(eq(queues.id, queueId));
  return policyOf(row);
}

/**
 * loadPolicy, kept per isolate with the channels (channels/cache.ts, 10 s): every new conversation
 * needs its queue's policy, and reading it would cost the one-statement new conversation
 * (src/inbox/new-conversation.ts) a round trip. A policy edit reaches this isolate at once
 * (forgetPolicy) and others within the cache's TTL, like a channel edit.
 */
export async function cachedPolicy(db: Executor, queueId: string | null): Promise<SlaPolicy> {
  if (!queueId) return NO_POLICY;
  return (await cachedChannel(`sla-policy:${queueId}`, () => loadPolicy(db, queueId))) ?? NO_POLICY;
}

/** After a queue's policy changes; without a queue (the organization's hours changed), every policy. */
export function forgetPolicy(queueId?: string): void {
  if (queueId) forgetChannel(queueId);
  else forgetAllChannels();
}

export type Deadline = { warnAt: Date | null; dueAt: Date | null };

/**
 * When a target of `minutes` started at `from` raises its warning and falls due. With business
 * hours both count open time only (a warning at 80 % is 80 % of the open time, not of the wall time).
 */
export function deadline(policy: SlaPolicy, from: Date, minutes: number | null): Deadline {
  if (!minutes) return { warnAt: null, dueAt: null };
  const seconds = minutes * 60;
  const warnSeconds = Math.floor((seconds * policy.warningPercent) / 100);
  const { hours } = policy;
  if (!hours) {
    return { warnAt: new Date(from.getTime() + warnSeconds * 1000), dueAt: new Date(from.getTime() + seconds * 1000) };
  }
  return { warnAt: addOpenSeconds(hours, from, warnSeconds), dueAt: addOpenSeconds(hours, from, seconds) };
}

/** The earliest of the given instants, or null. */
export function earliest(...dates: (Date | null | undefined)[]): Date | null {
  let first: Date | null = null;
  for (const date of dates) if (date && (!first || date < first)) first = date;
  return first;
}

/** The SLA columns of a ticket opened at `at`: its first-response and resolution clocks. */
export function openingSla(policy: SlaPolicy, at: Date) {
  const first = deadline(policy, at, policy.firstResponseMinutes);
  const resolution = deadline(policy, at, policy.resolutionMinutes);
  return {
    firstResponseWarnAt: first.warnAt,
    firstResponseDueAt: first.dueAt,
    resolutionWarnAt: resolution.warnAt,
    resolutionDueAt: resolution.dueAt,
    slaCheckAt: earliest(first.warnAt, first.dueAt, resolution.warnAt, resolution.dueAt),
  } satisfies Partial<TicketRow>;
}

/**
 * The SLA columns of a (locked) ticket reopened at `at`: a new cycle, whose resolution clock
 * starts again from the queue's target and alerts again.
 */
export async function reopenedSla(
  tx: Executor,
  ticket: Pick<TicketRow, "queueId" | "slaCycle" | "slaCheckAt">,
  at: Date,
) {
  const policy = await loadPolicy(tx, ticket.queueId);
  const resolution = deadline(policy, at, policy.resolutionMinutes);
  return {
    resolutionWarnAt: resolution.warnAt,
    resolutionDueAt: resolution.dueAt,
    resolutionBreachedAt: null,
    slaCycle: ticket.slaCycle + 1,
    slaCheckAt: earliest(ticket.slaCheckAt, resolution.warnAt, resolution.dueAt),
  } satisfies Partial<TicketRow>;
}

/** The SLA columns a reply sets: a waiting customer is answered (the next-response clock stops). */
export function answeredSla(ticket: Pick<TicketRow, "waitingSince">, at: Date) {
  return ticket.waitingSince ? ({ waitingSince: null, answeredAt: at } satisfies Partial<TicketRow>) : {};
}
