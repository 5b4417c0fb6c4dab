import { describe, expect, it } from "vitest";
import { isOpen, isTimeZone, type WeeklyHours } from "./open";

const weekdays = (timezone: string, start = "09:00", end = "18:00", holidays: string[] = []): WeeklyHours => ({
  timezone,
  ranges: [1, 2, 3, 4, 5].map((day) => ({ day, start, end })),
  holidays,
});

describe("isOpen", () => {
  const saoPaulo = weekdays("America/Sao_Paulo", "09:00", "18:00", ["2026-12-25"]);

  it("is open on a weekday within the range, in the line's time zone (São Paulo is UTC-3)", () => {
    expect(isOpen(saoPaulo, new Date("2026-12-04T12:00:00Z"))).toBe(true); // Fri 09:00 local
    expect(isOpen(saoPaulo, new Date("2026-12-04T20:59:00Z"))).toBe(true); // Fri 17:59 local
    expect(isOpen(saoPaulo, new Date("2026-12-04T11:59:00Z"))).toBe(false); // Fri 08:59 local
    expect(isOpen(saoPaulo, new Date("2026-12-04T21:00:00Z"))).toBe(false); // Fri 18:00 local: end is exclusive
  });

  it("is closed across the weekend and opens again on Monday morning", () => {
    const closed = [
      "2026-12-05T02:00:00Z", // Fri 23:00 local, already Saturday in UTC
      "2026-12-05T15:00:00Z", // Sat 12:00
      "2026-12-06T15:00:00Z", // Sun 12:00
      "2026-12-07T11:59:00Z", // Mon 08:59
    ];
    for (const at of closed) expect(isOpen(saoPaulo, new Date(at)), at).toBe(false);
    expect(isOpen(saoPaulo, new Date("2026-12-07T12:00:00Z"))).toBe(true); // Mon 09:00
  });

  it("reads the weekday in the zone, not in UTC (Tokyo's Monday morning is Sunday night in UTC)", () => {
    const tokyo: WeeklyHours = { timezone: "Asia/Tokyo", ranges: [{ day: 1, start: "08:00", end: "12:00" }] };
    expect(isOpen(tokyo, new Date("2026-12-06T23:30:00Z"))).toBe(true); // Mon 08:30 JST
    expect(isOpen(tokyo, new Date("2026-12-07T23:30:00Z"))).toBe(false); // Tue 08:30 JST
  });

  it("follows daylight saving time (New York, the Sunday the clocks go forward)", () => {
    const sundays: WeeklyHours = { timezone: "America/New_York", ranges: [{ day: 0, start: "09:00", end: "17:00" }] };
    expect(isOpen(sundays, new Date("2026-03-01T13:30:00Z"))).toBe(false); // 08:30 EST
    expect(isOpen(sundays, new Date("2026-03-08T13:30:00Z"))).toBe(true); // 09:30 EDT
  });

  it("is closed all day on a holiday, by the local date", () => {
    expect(isOpen(saoPaulo, new Date("2026-12-25T15:00:00Z"))).toBe(false); // Fri 12:00 local, Christmas
    expect(isOpen(saoPaulo, new Date("2026-12-24T20:00:00Z"))).toBe(true); // Thu 17:00 local
  });

  it("runs a range that ends before it starts into the next day", () => {
    const nights: WeeklyHours = { timezone: "America/Sao_Paulo", ranges: [{ day: 5, start: "22:00", end: "06:00" }] };
    expect(isOpen(nights, new Date("2026-12-05T01:30:00Z"))).toBe(true); // Fri 22:30
    expect(isOpen(nights, new Date("2026-12-05T08:59:00Z"))).toBe(true); // Sat 05:59
    expect(isOpen(nights, new Date("2026-12-05T09:00:00Z"))).toBe(false); // Sat 06:00
    expect(isOpen(nights, new Date("2026-12-04T15:00:00Z"))).toBe(false); // Fri 12:00
    const wraps: WeeklyHours = { timezone: "UTC", ranges: [{ day: 6, start: "20:00", end: "02:00" }] };
    expect(isOpen(wraps, new Date("2026-12-06T01:00:00Z"))).toBe(true); // Saturday night into Sunday
  });

  it("is always open with no hours configured, or no ranges (holidays still close)", () => {
    expect(isOpen(undefined, new Date())).toBe(true);
    expect(isOpen(null, new Date())).toBe(true);
    const holidaysOnly: WeeklyHours = { timezone: "America/Sao_Paulo", ranges: [], holidays: ["2026-01-01"] };
    expect(isOpen(holidaysOnly, new Date("2026-06-10T03:00:00Z"))).toBe(true);
    expect(isOpen(holidaysOnly, new Date("2026-01-01T15:00:00Z"))).toBe(false);
  });

  it("knows which time zones exist", () => {
    expect(isTimeZone("America/Sao_Paulo")).toBe(true);
    expect(isTimeZone("Mars/Olympus_Mons")).toBe(false);
  });
});
