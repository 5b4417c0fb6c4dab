import type { TestProject } from "vitest/node";
import { startDatabase } from "./database";
import { startNeonProxy } from "./neon-proxy";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    databaseKind: "pglite" | "postgres";
    neonProxy: string;
  }
}

export default async function setup(project: TestProject) {
  const database = await startDatabase();
  const proxy = await startNeonProxy();
  project.provide("databaseUrl", database.url);
  project.provide("databaseKind", database.kind);
  project.provide("neonProxy", proxy.address);
  console.log(`test database: ${database.kind} (${new URL(database.url).host})`);
  return async () => {
    await proxy.close();
    await database.close();
  };
}
