import type { TestProject } from "vitest/node";
import { startDatabase } from "./database";
import { startFakes } from "./fakes";
import { startNeonProxy } from "./neon-proxy";
import { startUpstashBridge } from "./upstash-bridge";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    databaseKind: "pglite" | "postgres";
    neonProxy: string;
    fakesUrl: string;
    upstashUrl: string;
    /** Drills: the seed that replays a run and the number of bodies per route. */
    fuzz: { seed: number; cases: number };
  }
}

export default async function setup(project: TestProject) {
  const database = await startDatabase();
  const proxy = await startNeonProxy();
  const fakes = await startFakes();
  project.provide("fakesUrl", fakes.url);
  const upstash = await startUpstashBridge();
  project.provide("upstashUrl", upstash.url);
  project.provide("databaseUrl", database.url);
  project.provide("databaseKind", database.kind);
  project.provide("neonProxy", proxy.address);
  const fuzz = {
    seed: Number(process.env.FUZZ_SEED) || Math.floor(Math.random() * 2 ** 31),
    cases: Number(process.env.FUZZ_CASES) || 12,
  };
  project.provide("fuzz", fuzz);
  console.log(`test database: ${database.kind} (${new URL(database.url).host})`);
  return async () => {
    await proxy.close();
    await fakes.close();
    await upstash.close();
    await database.close();
  };
}
