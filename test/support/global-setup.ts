import type { TestProject } from "vitest/node";
import { startDatabase } from "./database";
import { startFakes } from "./fakes";
import { startNeonProxy } from "./neon-proxy";
import { startUpstashBridge } from "./upstash-bridge";
import { startWireCounter } from "./wire-counter";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    databaseKind: "pglite" | "postgres";
    neonProxy: string;
    fakesUrl: string;
    upstashUrl: string;
    /** The test database behind a proxy that counts connections and round trips (test/capacity). */
    wireCounter: { databaseUrl: string; url: string };
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
  const counter = await startWireCounter(database.url);
  project.provide("wireCounter", { databaseUrl: counter.databaseUrl, url: counter.url });
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
    await counter.close();
    await database.close();
  };
}
