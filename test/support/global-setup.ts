import type { TestProject } from "vitest/node";
import { hashPassword } from "../../src/platform/password";
import { type DrillSettings, drillSettings } from "../drills/settings";
import { startDatabase } from "./database";
import { startFakes } from "./fakes";
import { startFaultProxy } from "./fault-proxy";
import { startNeonProxy } from "./neon-proxy";
import { PASSWORD } from "./password";
import { startUpstashBridge } from "./upstash-bridge";
import { startWireCounter } from "./wire-counter";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    databaseKind: "pglite" | "postgres";
    neonProxy: string;
    fakesUrl: string;
    upstashUrl: string;
    /** The test database behind a proxy that drills arm to cut connections (./fault-proxy.ts). */
    faultProxy: { databaseUrl: string; control: string };
    /** The test database behind a proxy that counts connections and round trips (test/capacity). */
    wireCounter: { databaseUrl: string; url: string };
    /** Drill sizes and the seed that replays a run (test/drills/settings.ts). */
    drill: DrillSettings;
    /** PASSWORD hashed as the app hashes it, once per run, for seeded users (./seed.ts). */
    passwordHash: string;
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
  const faults = await startFaultProxy(database.url);
  project.provide("faultProxy", { databaseUrl: faults.databaseUrl, control: faults.control });
  const counter = await startWireCounter(database.url);
  project.provide("wireCounter", { databaseUrl: counter.databaseUrl, url: counter.url });
  const drill = drillSettings(process.env);
  project.provide("drill", drill);
  console.log(
    `test database: ${database.kind} (${new URL(database.url).host}); drills: DRILL_SEED=${drill.seed} FUZZ_CASES=${drill.fuzzCases ?? "default"}`,
  );
  return async () => {
    await proxy.close();
    await faults.close();
    await fakes.close();
    await upstash.close();
    await counter.close();
    await database.close();
  };
}
