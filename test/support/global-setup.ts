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
  console.log(`test database: ${database.kind} (${new URL(database.url).host})`);
  return async () => {
    await proxy.close();
    await fakes.close();
    await upstash.close();
    await database.close();
  };
}
