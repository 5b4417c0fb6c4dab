import { describe, expect, it } from "vitest";
import { addOpenSeconds, isTimeZone, localDay, localTime, openSecondsBetween } from "./clock";
import type { BusinessHours } from "./schema";

const weekdays = (timezone: string, start = "09:00", end = "18:00", holidays: string[] = []): BusinessHours => ({
  timezone,
  ranges: [1, 2, 3, 4, 5].map((day) => ({ day, start, end })),
  holidays,
});
const everyDay = (timezone: string, start: string, end: string): BusinessHours => ({
  timezone,
  ranges: [0, 1, 2, 3, 4, 5, 6].map((day) => ({ day, start, end })),
  holidays: [],
});
const iso = (d: Date | null) => d?.toISOString() ?? null;
const HOUR = 3600;

describe("addOpenSeconds", () => {
  it("carries a Friday evening's remainder over the weekend to Monday morning", () => {
    // 2026-03-06 is a Friday; São Paulo is UTC-3 all year.
    const due = addOpenSeconds(weekdays("America/Sao_Paulo"), new Date("2026-03-06T17:50:00-03:00"), 30 * 60);
    expect(iso(due)).toBe("2026-03-09T12:20:00.000Z"); // Monday 09:20 local
  });

  it("starts counting at the next opening when asked while closed", () => {
    const due = addOpenSeconds(weekdays("America/Sao_Paulo"), new Date("2026-03-07T10:00:00-03:00"), 15 * 60);
    expect(iso(due)).toBe("2026-03-09T12:15:00.000Z");
  });

  it("skips holidays as whole local days", () => {
    const hours = weekdays("America/Sao_Paulo", "09:00", "18:00", ["2026-03-09"]);
    const due = addOpenSeconds(hours, new Date("2026-03-06T17:50:00-03:00"), 30 * 60);
    expect(iso(due)).toBe("2026-03-10T12:20:00.000Z"); // Tuesday
  });

  it("reads the same opening hours as different instants in different time zones", () => {
    const from = new Date("2026-03-09T00:00:00Z");
    expect(iso(addOpenSeconds(weekdays("Asia/Tokyo"), from, HOUR))).toBe("2026-03-09T01:00:00.000Z"); // 10:00 JST
    expect(iso(addOpenSeconds(weekdays("America/Sao_Paulo"), from, HOUR))).toBe("2026-03-09T13:00:00.000Z");
    expect(iso(addOpenSeconds(weekdays("Europe/Lisbon"), from, HOUR))).toBe("2026-03-09T10:00:00.000Z");
  });

  it("follows a spring-forward: the opening keeps its wall time, one hour earlier in UTC", () => {
    // New York moves from EST (-5) to EDT (-4) on Sunday 2026-03-08 at 02:00.
    const hours = everyDay("America/New_York", "09:00", "17:00");
    const due = addOpenSeconds(hours, new Date("2026-03-07T16:00:00-05:00"), 2 * HOUR);
    expect(iso(due)).toBe("2026-03-08T14:00:00.000Z"); // Sunday 10:00 EDT, not 15:00Z
  });

  it("follows DST east of Greenwich too (Berlin, 2026-03-29)", () => {
    const hours = everyDay("Europe/Berlin", "08:00", "12:00");
    const due = addOpenSeconds(hours, new Date("2026-03-28T11:00:00+01:00"), 2 * HOUR);
    expect(iso(due)).toBe("2026-03-29T07:00:00.000Z"); // Sunday 09:00 CEST
  });

  it("runs a range whose end is not after its start past midnight", () => {
    const hours: BusinessHours = {
      timezone: "America/Sao_Paulo",
      ranges: [{ day: 5, start: "22:00", end: "06:00" }],
      holidays: [],
    };
    const due = addOpenSeconds(hours, new Date("2026-03-06T23:00:00-03:00"), 2 * HOUR);
    expect(iso(due)).toBe("2026-03-07T04:00:00.000Z"); // Saturday 01:00 local
    const fullDay: BusinessHours = {
      timezone: "UTC",
      ranges: [{ day: 1, start: "00:00", end: "00:00" }],
      holidays: [],
    };
    expect(openSecondsBetween(fullDay, new Date("2026-03-08T00:00:00Z"), new Date("2026-03-11T00:00:00Z"))).toBe(
      24 * HOUR,
    );
  });

  it("merges touching ranges and answers the instant itself for zero seconds", () => {
    const hours: BusinessHours = {
      timezone: "UTC",
      ranges: [
        { day: 1, start: "09:00", end: "12:00" },
        { day: 1, start: "12:00", end: "18:00" },
      ],
      holidays: [],
    };
    expect(iso(addOpenSeconds(hours, new Date("2026-03-09T11:00:00Z"), 2 * HOUR))).toBe("2026-03-09T13:00:00.000Z");
    const at = new Date("2026-03-08T03:00:00Z");
    expect(addOpenSeconds(hours, at, 0)).toBe(at);
  });

  it("answers null when the hours never open", () => {
    expect(addOpenSeconds({ timezone: "UTC", ranges: [], holidays: [] }, new Date(), 60)).toBeNull();
  });
});

describe("openSecondsBetween", () => {
  it("counts only open time across a weekend", () => {
    const hours = weekdays("America/Sao_Paulo");
    const friday = new Date("2026-03-06T17:00:00-03:00");
    const monday = new Date("2026-03-09T10:00:00-03:00");
    expect(openSecondsBetween(hours, friday, monday)).toBe(2 * HOUR);
    expect(openSecondsBetween(hours, monday, friday)).toBe(0);
  });

  it("counts a day's open hours across the DST gap and the repeated hour", () => {
    const hours = everyDay("America/New_York", "01:00", "04:00");
    // 02:00-03:00 does not exist on 2026-03-08; 01:00-02:00 happens twice on 2026-11-01.
    const spring = openSecondsBetween(hours, new Date("2026-03-08T05:00:00Z"), new Date("2026-03-09T04:00:00Z"));
    expect(spring).toBe(2 * HOUR);
    const autumn = openSecondsBetween(hours, new Date("2026-11-01T04:00:00Z"), new Date("2026-11-02T05:00:00Z"));
    expect(autumn).toBe(4 * HOUR);
  });

  it("is the inverse of addOpenSeconds", () => {
    const hours = weekdays("America/Manaus", "08:30", "17:45", ["2026-04-03"]);
    const from = new Date("2026-03-31T15:12:00Z");
    for (const seconds of [60, 5 * HOUR, 40 * HOUR, 200 * HOUR]) {
      const due = addOpenSeconds(hours, from, seconds);
      expect(due).not.toBeNull();
      expect(openSecondsBetween(hours, from, due as Date)).toBe(seconds);
    }
  });
});

describe("local days", () => {
  it("names the local calendar day and its midnight in a zone", () => {
    const at = new Date("2026-03-09T02:00:00Z"); // Sunday 23:00 in São Paulo
    const day = localDay("America/Sao_Paulo", at);
    expect(new Date(day * 86_400_000).toISOString().slice(0, 10)).toBe("2026-03-08");
    expect(localTime("America/Sao_Paulo", day).toISOString()).toBe("2026-03-08T03:00:00.000Z");
    expect(localTime("America/Sao_Paulo", day, 8 * 60).toISOString()).toBe("2026-03-08T11:00:00.000Z");
    expect(isTimeZone("America/Sao_Paulo")).toBe(true);
    expect(isTimeZone("Mars/Olympus_Mons")).toBe(false);
  });
});
