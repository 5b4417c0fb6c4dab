// Re-seals every secret stored under an older ENCRYPTION_KEY with the current one (the list's
// first), for every organization, in batches; then reports what is left. Safe to run while the
// deployment serves traffic, and to run again: only values not under the current key are touched,
// each by compare-and-set. README, "Rotating keys".
// Usage: DATABASE_URL=postgres://... ENCRYPTION_KEY=<new>,<old> npm run keys:reencrypt [-- --dry-run] [--batch 200]
import { parseArgs } from "node:util";
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import { type ResealProgress, reseal, sealedByKey } from "../src/keys/reseal.ts";
import { currentKey, keyId, keyList } from "../src/platform/crypto.ts";
import { envSchema } from "../src/platform/env.ts";

type Db = Parameters<typeof reseal>[0];

async function reencryptAll(
  db: Db,
  keys: string,
  options: { dryRun?: boolean; batchSize?: number } = {},
): Promise<{
  before: Record<string, Record<string, number>>;
  after: Record<string, Record<string, number>>;
  progress: ResealProgress | null;
}> {
  const before = await sealedByKey(db);
  const progress = options.dryRun ? null : await reseal(db, keys, { batchSize: options.batchSize });
  return { before, after: options.dryRun ? before : await sealedByKey(db), progress };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values: args } = parseArgs({
    options: { "dry-run": { type: "boolean", default: false }, batch: { type: "string", default: "200" } },
  });
  const url = process.env.DATABASE_URL;
  const keys = process.env.ENCRYPTION_KEY ?? "";
  const checked = envSchema.shape.ENCRYPTION_KEY.safeParse(keys);
  if (!url || !checked.success) {
    console.error("set DATABASE_URL and ENCRYPTION_KEY (the new key first, then every older one still in use)");
    process.exit(1);
  }
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  try {
    const { kid } = await currentKey(keys);
    console.log(`current key ${kid}; listed: ${(await Promise.all(keyList(keys).map(keyId))).join(", ")}`);
    const db = drizzle({ client: pool, casing: "snake_case" });
    const { before, after, progress } = await reencryptAll(db, keys, {
      dryRun: args["dry-run"],
      batchSize: Number(args.batch),
    });
    console.log(`sealed values by key id, before: ${JSON.stringify(before)}`);
    if (progress) {
      console.log(`re-sealed ${progress.resealed}; changed meanwhile ${progress.raced}; unreadable ${progress.failed}`);
      for (const failure of progress.failures)
        console.error(`unreadable with the listed keys: ${failure.field} ${failure.id}`);
      console.log(`sealed values by key id, after: ${JSON.stringify(after)}`);
    }
    const left = Object.values(after).flatMap((byKey) => Object.entries(byKey).filter(([k]) => k !== kid));
    if (left.length === 0)
      console.log(`everything is sealed with ${kid}: older keys can be removed from ENCRYPTION_KEY`);
    else console.log(`${left.reduce((n, [, c]) => n + c, 0)} values are not under ${kid} yet`);
    process.exitCode = progress && progress.failed > 0 ? 1 : 0;
  } catch (error) {
    console.error("re-encryption failed:", error instanceof Error ? error.message : error);
    process.exitCode = 1;
  } finally {
    await pool.end();
  }
}
