import { DatabaseHandle } from "./db";
import { type Bindings, parseEnv } from "./env";
import { createLogger } from "./logger";
import type { Services } from "./services";

type WaitUntil = { waitUntil(promise: Promise<unknown>): void };

/**
 * The invocation's clock. Tests move it with a function binding `TEST_NOW` (returning a Date or
 * epoch milliseconds); wrangler vars and secrets hold only strings and JSON, never a function, so
 * no deployment's configuration can set it.
 */
function clockOf(bindings: Bindings): () => Date {
  const testNow = bindings.TEST_NOW;
  if (typeof testNow !== "function") return () => new Date();
  return () => new Date((testNow as () => Date | number)());
}

/**
 * Builds the services of one invocation (request, delivery or cron tick). The caller must hand
 * `dispose()` to `waitUntil` when it is done so the database pool is closed.
 */
export function createServices(
  bindings: Bindings,
  ctx: WaitUntil,
  requestId: string = crypto.randomUUID(),
): Services & { dispose(): Promise<void> } {
  const env = parseEnv(bindings);
  const log = createLogger(env.LOG_LEVEL, { requestId });
  const database = new DatabaseHandle(env, log);
  // Background work of this invocation may still query after the response: the pool is closed
  // only once all of it has settled.
  const background = new Set<Promise<unknown>>();
  const waitUntil = (promise: Promise<unknown>) => {
    const tracked = promise
      .catch((error) => log.error("background task failed", { error }))
      .finally(() => background.delete(tracked));
    background.add(tracked);
    ctx.waitUntil(tracked);
  };
  return {
    env,
    bindings,
    ctx,
    log,
    requestId,
    database,
    get db() {
      return database.db;
    },
    waitUntil,
    now: clockOf(bindings),
    async dispose() {
      while (background.size > 0) await Promise.allSettled([...background]);
      await database.close();
    },
  };
}
