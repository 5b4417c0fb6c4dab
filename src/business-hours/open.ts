import { wallClock } from "./clock";

export { isTimeZone } from "./clock";

/**
 * Weekly opening hours in an IANA time zone: whether a line is open at an instant. Local time
 * comes from Intl (the runtime's tz database, read by ./clock.ts), so daylight-saving changes and
 * zones without them need no table of our own.
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

function localTime(at: Date, timeZone: string): LocalTime {
  const wall = new Date(wallClock(timeZone, at.getTime()));
  return {
    date: wall.toISOString().slice(0, 10),
    day: wall.getUTCDay(),
    minutes: wall.getUTCHours() * 60 + wall.getUTCMinutes(),
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
