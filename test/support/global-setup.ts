import { randomInt } from "node:crypto";
import type { TestProject } from "vitest/node";
import { hashPassword } from "../../src/platform/password";
import { startDatabase } from "./database";
import { startFakes } from "./fakes";
import { startNeonProxy } from "./neon-proxy";
import { PASSWORD } from "./password";
import { startUpstashBridge } from "./upstash-bridge";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    databaseKind: "pglite" | "postgres";
    neonProxy: string;
    fakesUrl: string;
    upstashUrl: string;
    /** PASSWORD hashed as the app hashes it, once per run, for seeded users (./seed.ts). */
    passwordHash: string;
    /** The fuzz drill's seed (FUZZ_SEED, else random) and cases per webhook route (FUZZ_CASES). */
    fuzz: { seed: number; cases: number };
  }
}

export default async function setup(project: TestProject) {
  const database = await startDatabase();
  project.provide("passwordHash", await hashPassword(PASSWORD));
  const proxy = await startNeonProxy();
  const fakes = await startFakes();
  project.provide("fakesUrl", fakes.url);
  const upstash = await startUpstashBridge();
  project.provide("upstashUrl", upstash.url);
  project.provide("databaseUrl", database.url);
  project.provide("databaseKind", database.kind);
  project.provide("neonProxy", proxy.address);
  const fuzz = {
    seed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : randomInt(2 ** 31),
    cases: Number(process.env.FUZZ_CASES ?? 200),
  };
  project.provide("fuzz", fuzz);
  console.log(
    `test database: ${database.kind} (${new URL(database.url).host}); fuzz: FUZZ_SEED=${fuzz.seed} FUZZ_CASES=${fuzz.cases}`,
  );
  return async () => {
    await proxy.close();
    await fakes.close();
    await upstash.close();
    await database.close();
  };
}
