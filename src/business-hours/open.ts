/**
 * Weekly opening hours in an IANA time zone: whether a line is open at an instant. Local time
 * comes from Intl (the runtime's tz database), so daylight-saving changes and zones without them
 * need no table of our own.
 */
export type WeeklyHours = {
  /** IANA zone, e.g. America/Sao_Paulo. */
  timezone: string;
  /** day 0 = Sunday ... 6 = Saturday; HH:MM local. An end at or before the start runs past midnight. */
  ranges: readonly { day: number; start: string; end: string }[];
  /** Local dates (YYYY-MM-DD) closed all day. */
  holidays?: readonly string[];
};

type LocalTime = { date: string; day: number; minutes: number };

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

// Deliberately module-scoped: building a DateTimeFormat costs far more than using one, and a
// Worker asks the same few zones on every call.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let found = formatters.get(timeZone);
  if (!found) {
    found = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      weekday: "short",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
    });
    formatters.set(timeZone, found);
  }
  return found;
}

/** Whether `timeZone` names a zone the runtime knows (for validating configuration). */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

function localTime(at: Date, timeZone: string): LocalTime {
  const parts: Record<string, string> = {};
  for (const part of formatter(timeZone).formatToParts(at)) parts[part.type] = part.value;
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    day: WEEKDAYS[parts.weekday ?? ""] ?? 0,
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
  };
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * Whether the line is open at `at`. No hours (or no ranges) means always open, holidays aside. A
 * range ending at or before its start (22:00-06:00) runs into the next day; a holiday closes its
 * local date, including the early hours such a range carries into it.
 */
export function isOpen(hours: WeeklyHours | null | undefined, at: Date): boolean {
  if (!hours) return true;
  const local = localTime(at, hours.timezone);
  if (hours.holidays?.includes(local.date)) return false;
  if (hours.ranges.length === 0) return true;
  return hours.ranges.some((range) => {
    const start = minutesOf(range.start);
    const end = minutesOf(range.end);
    if (end > start) return range.day === local.day && local.minutes >= start && local.minutes < end;
    // Past midnight: the evening on its own day, the early hours on the next.
    if (range.day === local.day && local.minutes >= start) return true;
    return (range.day + 1) % 7 === local.day && local.minutes < end;
  });
}
