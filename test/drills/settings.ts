// How big the drills run: small in `npm test`, large under `npm run drill` (scripts/drill.ts sets
// the variables). Read once in the global setup (Node) and handed to the tests in workerd.
export type DrillSettings = {
  /** Inbound messages (each one an events.deliver job) in the outbox drill. DRILL_SIZE. */
  outboxMessages: number;
  /** Seeds every injected fault and fuzzed body, so a failing run replays exactly. DRILL_SEED (or FUZZ_SEED). */
  seed: number;
  /** Fuzzed bodies per webhook route for the fuzz drill, when set. FUZZ_CASES. */
  fuzzCases: number | null;
};

const DEFAULT_SEED = 20261123;

function positive(value: string | undefined, name: string): number | null {
  if (value === undefined || value === "") return null;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${value}"`);
  return n;
}

export function drillSettings(env: Record<string, string | undefined>): DrillSettings {
  return {
    outboxMessages: positive(env.DRILL_SIZE, "DRILL_SIZE") ?? 1_000,
    seed: positive(env.DRILL_SEED, "DRILL_SEED") ?? positive(env.FUZZ_SEED, "FUZZ_SEED") ?? DEFAULT_SEED,
    fuzzCases: positive(env.FUZZ_CASES, "FUZZ_CASES"),
  };
}
