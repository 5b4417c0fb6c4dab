import type { BusinessHours } from "./schema";

/**
 * Due-time arithmetic over business hours: N open seconds after an instant, and the open seconds
 * between two instants. Open time is the weekly ranges in the hours' time zone (a range whose end
 * is at or before its start runs past midnight), minus holidays (whole local days). Wall times are
 * turned into instants with the zone's offset at that moment, so DST shifts move the instants, not
 * the opening hours; a wall time that a spring-forward skips is read as the same time after the gap.
 */

const DAY_MS = 86_400_000;
/** How far ahead open time is looked for: 366 holidays cannot hide every range for longer. */
const HORIZON_DAYS = 3 * 366;

// Per isolate on purpose: an Intl.DateTimeFormat costs far more to build than to use, and the
// time zones in use are few.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/** Whether the runtime knows the IANA time zone. */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The wall clock at an instant, read as if it were UTC (milliseconds). */
export function wallClock(timeZone: string, ms: number): number {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(ms)) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  const { year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = parts;
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

/** The zone's offset from UTC at an instant (whole seconds, as the zone database has them). */
const offsetAt = (timeZone: string, ms: number) => wallClock(timeZone, ms) - Math.floor(ms / 1000) * 1000;

/** The instant a wall time (read as UTC milliseconds) happens in the zone; after the gap when skipped. */
function instantOf(timeZone: string, wall: number): number {
  const guess = offsetAt(timeZone, wall);
  const first = wall - guess;
  const actual = offsetAt(timeZone, first);
  if (actual === guess) return first;
  const second = wall - actual;
  if (offsetAt(timeZone, second) === actual) return second;
  // Neither offset maps back to this wall time: it falls in a spring-forward gap.
  return Math.max(first, second);
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
const dateKey = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** The local calendar day (days since the epoch) an instant falls on in the zone. */
export function localDay(timeZone: string, at: Date): number {
  return Math.floor(wallClock(timeZone, at.getTime()) / DAY_MS);
}

/** The instant a local day (days since the epoch) starts, plus `minutes`, in the zone. */
export function localTime(timeZone: string, day: number, minutes = 0): Date {
  return new Date(instantOf(timeZone, day * DAY_MS + minutes * 60_000));
}

/** The open intervals [start, end) that end after `from`, in order, merged where they touch. */
function* openIntervals(hours: BusinessHours, from: number): Generator<[number, number]> {
  const tz = hours.timezone;
  const holidays = new Set(hours.holidays);
  const ranges = hours.ranges
    .map((r) => ({ day: r.day, start: minutesOf(r.start), end: minutesOf(r.end) }))
    .sort((a, b) => a.start - b.start);
  if (ranges.length === 0) return;
  let pending: [number, number] | undefined;
  // The day before `from` too: one of its ranges may run past midnight into it.
  const first = localDay(tz, new Date(from)) - 1;
  for (let day = first; day < first + HORIZON_DAYS; day++) {
    if (holidays.has(dateKey(day))) continue;
    const weekday = new Date(day * DAY_MS).getUTCDay();
    for (const range of ranges) {
      if (range.day !== weekday) continue;
      const start = instantOf(tz, day * DAY_MS + range.start * 60_000);
      const overnight = range.end <= range.start;
      // An overnight range stops at midnight when the next day is a holiday.
      const endMinutes = overnight && holidays.has(dateKey(day + 1)) ? 0 : range.end;
      const end = instantOf(tz, (overnight ? day + 1 : day) * DAY_MS + endMinutes * 60_000);
      if (end <= start || end <= from) continue;
      if (pending && start <= pending[1]) {
        pending[1] = Math.max(pending[1], end);
        continue;
      }
      if (pending) yield pending;
      pending = [Math.max(start, from), end];
    }
  }
  if (pending) yield pending;
}

/** The instant `seconds` of open time after `from`; null when the hours never open again. */
export function addOpenSeconds(hours: BusinessHours, from: Date, seconds: number): Date | null {
  let remaining = Math.max(0, seconds) * 1000;
  if (remaining === 0) return from;
  for (const [start, end] of openIntervals(hours, from.getTime())) {
    if (end - start >= remaining) return new Date(start + remaining);
    remaining -= end - start;
  }
  return null;
}

/** Open seconds in [from, to); 0 when `to` is not after `from`. */
export function openSecondsBetween(hours: BusinessHours, from: Date, to: Date): number {
  const until = to.getTime();
  let total = 0;
  for (const [start, end] of openIntervals(hours, from.getTime())) {
    if (start >= until) break;
    total += Math.min(end, until) - start;
  }
  return Math.round(total / 1000);
}
