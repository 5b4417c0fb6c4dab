import type { SlaKind, SlaLevel, tickets } from "@/db/schema";
import { earliest } from "./policy";

/** What the sweep reads of a ticket to judge its clocks. */
export type SlaState = Pick<
  typeof tickets.$inferSelect,
  | "status"
  | "firstResponseAt"
  | "firstResponseWarnAt"
  | "firstResponseDueAt"
  | "resolvedAt"
  | "closedAt"
  | "resolutionWarnAt"
  | "resolutionDueAt"
  | "slaCycle"
  | "waitingSince"
  | "answeredAt"
  | "nextResponseFrom"
  | "nextResponseWarnAt"
  | "nextResponseDueAt"
  | "nextResponseCycle"
>;

export type SlaAlert = { kind: SlaKind; level: SlaLevel; cycle: number; crossedAt: Date; dueAt: Date };

type Clock = { kind: SlaKind; cycle: number; warnAt: Date | null; dueAt: Date; stoppedAt: Date | null };

const same = (a: Date | null, b: Date | null) => a?.getTime() === b?.getTime();

/**
 * A ticket's running clocks and when each stopped. Resolving stops every clock (the next-response
 * clock does not count on after a resolve); the first reply stops the first-response clock; the
 * reply that answers the wait a next-response clock was started for stops that clock.
 */
function clocks(t: SlaState): Clock[] {
  const resolved = t.status === "resolved" || t.status === "closed" ? (t.resolvedAt ?? t.closedAt) : null;
  const list: Clock[] = [];
  if (t.firstResponseDueAt) {
    list.push({
      kind: "first_response",
      cycle: 1,
      warnAt: t.firstResponseWarnAt,
      dueAt: t.firstResponseDueAt,
      stoppedAt: earliest(t.firstResponseAt, resolved),
    });
  }
  if (t.resolutionDueAt) {
    list.push({
      kind: "resolution",
      cycle: t.slaCycle,
      warnAt: t.resolutionWarnAt,
      dueAt: t.resolutionDueAt,
      stoppedAt: resolved,
    });
  }
  if (t.nextResponseDueAt && t.nextResponseFrom) {
    // Still the same wait: unanswered. Another wait (or none): answered when answeredAt says.
    const answered = same(t.waitingSince, t.nextResponseFrom) ? null : (t.answeredAt ?? t.nextResponseFrom);
    list.push({
      kind: "next_response",
      cycle: t.nextResponseCycle,
      warnAt: t.nextResponseWarnAt,
      dueAt: t.nextResponseDueAt,
      stoppedAt: earliest(answered, resolved),
    });
  }
  return list;
}

/**
 * The alerts a ticket's clocks have crossed by `now`, and the next instant worth looking again
 * (null: every clock has stopped or breached). A clock that stopped after its due time is a
 * breach too (answered late); a warning is raised only while the clock still runs, and not when
 * the breach is crossed at the same look (a late sweep does not warn about the past).
 */
export function evaluate(t: SlaState, now: Date): { alerts: SlaAlert[]; nextCheckAt: Date | null } {
  const alerts: SlaAlert[] = [];
  let nextCheckAt: Date | null = null;
  for (const clock of clocks(t)) {
    const { kind, cycle, warnAt, dueAt, stoppedAt } = clock;
    if (dueAt <= now && (!stoppedAt || stoppedAt > dueAt)) {
      alerts.push({ kind, level: "breached", cycle, crossedAt: dueAt, dueAt });
      continue;
    }
    if (stoppedAt) continue;
    if (warnAt && warnAt <= now) alerts.push({ kind, level: "warning", cycle, crossedAt: warnAt, dueAt });
    nextCheckAt = earliest(nextCheckAt, warnAt && warnAt > now ? warnAt : dueAt);
  }
  return { alerts, nextCheckAt };
}
