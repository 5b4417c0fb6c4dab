// npm run drill: the fault drills of test/drills at full size, then one table for the README.
//
// Runs vitest on the drill files (inside workerd, on the embedded PGlite, or on a fresh database
// of the server named by TEST_DATABASE_URL, exactly as `npm test` does) with the sizes below,
// reads each drill's row from vitest's JSON report (tests attach it with reportDrill, see
// test/drills/report.ts) and prints: drill, cases, 2xx, 4xx, 5xx, lost, doubled. Exits non-zero
// when a drill failed, after printing what it measured.
//
//   DRILL_SIZE   outbox messages (default here 10,000; 1,000 in npm test)
//   FUZZ_CASES   fuzzed bodies per webhook route (default here 10,000)
//   DRILL_SEED   the seed of every injected fault (printed; set it to replay a run)
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");

/**
 * The test files that report drill rows: the fault drills, and the webhook and API fuzz drills,
 * which read their number of bodies from inject("drill").fuzzCases (FUZZ_CASES).
 */
const DRILL_FILES = ["test/drills", "test/webhooks/contract.test.ts", "test/api/fuzz.test.ts"];

const env = {
  ...process.env,
  DRILL_SIZE: process.env.DRILL_SIZE ?? "10000",
  FUZZ_CASES: process.env.FUZZ_CASES ?? "10000",
  DRILL_SEED: process.env.DRILL_SEED ?? String(Math.floor(Math.random() * 2 ** 31) + 1),
};

type Row = { drill: string; cases: number; "2xx": number; "4xx": number; "5xx": number; lost: number; doubled: number };
type Report = {
  testResults: { assertionResults: { fullName: string; status: string; meta?: { drill?: Row } }[] }[];
};
const COLUMNS = ["cases", "2xx", "4xx", "5xx", "lost", "doubled"] as const;

function vitest(outputFile: string): Promise<number> {
  const bin = path.join(root, "node_modules", "vitest", "vitest.mjs");
  const args = ["run", ...DRILL_FILES, "--reporter=default", "--reporter=json", `--outputFile.json=${outputFile}`];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, env, stdio: "inherit" });
    child.on("exit", (code) => resolve(code ?? 1));
  });
}

/** One row per drill: a drill made of several tests (cases) adds them up. */
function table(report: Report): { rows: Row[]; failed: string[] } {
  const rows = new Map<string, Row>();
  const failed: string[] = [];
  for (const file of report.testResults) {
    for (const test of file.assertionResults) {
      if (test.status === "failed") failed.push(test.fullName);
      const row = test.meta?.drill;
      if (!row) continue;
      const sum = rows.get(row.drill) ?? {
        drill: row.drill,
        cases: 0,
        "2xx": 0,
        "4xx": 0,
        "5xx": 0,
        lost: 0,
        doubled: 0,
      };
      for (const column of COLUMNS) sum[column] += row[column];
      rows.set(row.drill, sum);
    }
  }
  return { rows: [...rows.values()], failed };
}

function markdown(rows: Row[]): string {
  const number = (n: number) => n.toLocaleString("en-US");
  return [
    `| drill | ${COLUMNS.join(" | ")} |`,
    `| --- | ${COLUMNS.map(() => "---:").join(" | ")} |`,
    ...rows.map((r) => `| ${r.drill} | ${COLUMNS.map((c) => number(r[c])).join(" | ")} |`),
  ].join("\n");
}

const dir = mkdtempSync(path.join(tmpdir(), "switchboard-drill-"));
const outputFile = path.join(dir, "report.json");
const started = Date.now();
const code = await vitest(outputFile);
let report: Report;
try {
  report = JSON.parse(readFileSync(outputFile, "utf8")) as Report;
} catch (error) {
  console.error(`no vitest report (${String(error)}); vitest exited with ${code}`);
  process.exit(code || 1);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const { rows, failed } = table(report);
const database = process.env.TEST_DATABASE_URL ? "PostgreSQL (TEST_DATABASE_URL)" : "embedded PGlite";
console.log(
  `\nFault drills on ${database}, seed ${env.DRILL_SEED}, ${env.DRILL_SIZE} outbox messages, ` +
    `${Math.round((Date.now() - started) / 1000)} s:\n`,
);
console.log(markdown(rows));
if (failed.length > 0) console.log(`\nFailed:\n${failed.map((name) => `  - ${name}`).join("\n")}`);
process.exit(code);
