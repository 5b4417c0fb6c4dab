import { DatabaseHandle } from "./db";
import { type Bindings, parseEnv } from "./env";
import { createLogger } from "./logger";
import type { Services } from "./services";

type WaitUntil = { waitUntil(promise: Promise<unknown>): void };

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
  const waitUntil = (promise: Promise<unknown>) =>
    ctx.waitUntil(promise.catch((error) => log.error("background task failed", { error })));
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
    now: () => new Date(),
    dispose: () => database.close(),
  };
}
