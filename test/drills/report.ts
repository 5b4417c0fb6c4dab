// A drill's result row, attached to its test so `npm run drill` (scripts/drill.ts) can print the
// table from vitest's JSON report. Set it before asserting: a failing drill still reports.
import type { TestContext } from "vitest";

export type DrillRow = {
  drill: string;
  cases: number;
  "2xx": number;
  "4xx": number;
  "5xx": number;
  /** Cases whose effect never happened (a message not stored, a job that never ran). */
  lost: number;
  /** Cases whose effect happened more than once. */
  doubled: number;
};

declare module "vitest" {
  interface TaskMeta {
    drill?: DrillRow;
  }
}

/** Counts answers by class, for a drill row. */
export function statusClasses(statuses: number[]): Pick<DrillRow, "2xx" | "4xx" | "5xx"> {
  const count = (min: number) => statuses.filter((s) => s >= min && s < min + 100).length;
  return { "2xx": count(200), "4xx": count(400), "5xx": count(500) };
}

export function reportDrill(context: Pick<TestContext, "task">, row: DrillRow): void {
  context.task.meta.drill = row;
}
