import { describe, expect, it } from "vitest";
import { evaluate, type SlaState } from "./evaluate";

const at = (minutes: number) => new Date(Date.UTC(2026, 2, 9, 12, minutes));
const open: SlaState = {
  status: "open",
  firstResponseAt: null,
  firstResponseWarnAt: at(8),
  firstResponseDueAt: at(10),
  resolvedAt: null,
  closedAt: null,
  resolutionWarnAt: null,
  resolutionDueAt: null,
  slaCycle: 1,
  waitingSince: at(0),
  answeredAt: null,
  nextResponseFrom: null,
  nextResponseWarnAt: null,
  nextResponseDueAt: null,
  nextResponseCycle: 0,
};
const kinds = (r: ReturnType<typeof evaluate>) => r.alerts.map((a) => `${a.kind}:${a.level}:${a.cycle}`);

describe("evaluate", () => {
  it("looks again at the warning, warns, then looks again at the due time and breaches", () => {
    expect(evaluate(open, at(5))).toEqual({ alerts: [], nextCheckAt: at(8) });
    const warned = evaluate(open, at(9));
    expect(kinds(warned)).toEqual(["first_response:warning:1"]);
    expect(warned.nextCheckAt).toEqual(at(10));
    const breached = evaluate(open, at(10));
    expect(kinds(breached)).toEqual(["first_response:breached:1"]);
    expect(breached.alerts[0]?.crossedAt).toEqual(at(10));
    expect(breached.nextCheckAt).toBeNull();
  });

  it("does not warn about the past when the due time is crossed at the same look", () => {
    expect(kinds(evaluate(open, at(30)))).toEqual(["first_response:breached:1"]);
  });

  it("counts a reply after the due time as a breach, and one before it as met", () => {
    expect(kinds(evaluate({ ...open, firstResponseAt: at(11) }, at(11)))).toEqual(["first_response:breached:1"]);
    expect(evaluate({ ...open, firstResponseAt: at(9) }, at(11))).toEqual({ alerts: [], nextCheckAt: null });
  });

  it("stops every clock on resolve, the next-response clock included", () => {
    const waiting: SlaState = {
      ...open,
      firstResponseAt: at(1),
      answeredAt: at(1),
      waitingSince: at(2),
      nextResponseFrom: at(2),
      nextResponseWarnAt: at(6),
      nextResponseDueAt: at(7),
      nextResponseCycle: 3,
      resolutionWarnAt: at(50),
      resolutionDueAt: at(60),
      slaCycle: 2,
    };
    expect(kinds(evaluate(waiting, at(7)))).toEqual(["next_response:breached:3"]);
    const resolved = { ...waiting, status: "resolved" as const, resolvedAt: at(3) };
    expect(evaluate(resolved, at(90))).toEqual({ alerts: [], nextCheckAt: null });
    const late = { ...waiting, status: "resolved" as const, resolvedAt: at(65) };
    expect(kinds(evaluate(late, at(90)))).toEqual(["resolution:breached:2", "next_response:breached:3"]);
  });

  it("stops a next-response clock when its wait was answered, even if a new wait began since", () => {
    const base: SlaState = {
      ...open,
      firstResponseAt: at(1),
      nextResponseFrom: at(2),
      nextResponseWarnAt: at(6),
      nextResponseDueAt: at(7),
      nextResponseCycle: 1,
    };
    expect(evaluate({ ...base, waitingSince: null, answeredAt: at(5) }, at(8)).alerts).toEqual([]);
    expect(evaluate({ ...base, waitingSince: at(9), answeredAt: at(8) }, at(9)).alerts.map((a) => a.level)).toEqual([
      "breached",
    ]);
  });
});
