import { and, eq, lt, sql } from "drizzle-orm";
import { idempotencyKeys } from "@/db/schema";
import type { AppContext } from "./app";
import { sha256Hex } from "./crypto";
import type { Transaction } from "./db";
import { ApiError } from "./errors";

const KEY = /^[\x21-\x7e]{1,255}$/;

export type IdempotentResult<B> = { status: number; body: B };

/**
 * Runs `work` in a transaction that also records the request's `Idempotency-Key`. A repeat of the
 * same key and body within 24 hours replays the first answer and does nothing; the same key with
 * another body is a 422. A concurrent repeat waits on the key's unique index until the first
 * commits, then replays: the work never happens twice.
 */
export async function idempotent<B>(
  c: AppContext,
  request: unknown,
  work: (tx: Transaction) => Promise<IdempotentResult<B>>,
): Promise<{ result: IdempotentResult<B>; replayed: boolean }> {
  const { db } = c.var.services;
  const key = c.req.header("idempotency-key");
  if (key === undefined) return { result: await db.transaction(work), replayed: false };
  if (!KEY.test(key)) throw new ApiError("BAD_REQUEST", "Idempotency-Key must be 1-255 visible ASCII characters.");
  const organizationId = c.var.principal.organizationId;
  const requestHash = await sha256Hex(
    `${c.req.method} ${c.req.routePath} ${new URL(c.req.url).pathname} ${JSON.stringify(request)}`,
  );
  return db.transaction(async (tx) => {
    const scope = and(eq(idempotencyKeys.organizationId, organizationId), eq(idempotencyKeys.key, key));
    await tx.delete(idempotencyKeys).where(and(scope, lt(idempotencyKeys.createdAt, sql`now() - interval '24 hours'`)));
    const [claimed] = await tx
      .insert(idempotencyKeys)
      .values({ organizationId, key, requestHash })
      .onConflictDoNothing()
      .returning({ id: idempotencyKeys.id });
    if (!claimed) {
      const [first] = await tx.select().from(idempotencyKeys).where(scope);
      if (!first || first.responseStatus === null)
        throw new ApiError("CONFLICT", "A request with this Idempotency-Key is in progress.");
      if (first.requestHash !== requestHash) {
        throw new ApiError("UNPROCESSABLE", "This Idempotency-Key was used with a different request.");
      }
      return { result: { status: first.responseStatus, body: first.responseBody as B }, replayed: true };
    }
    const result = await work(tx);
    await tx
      .update(idempotencyKeys)
      .set({ responseStatus: result.status, responseBody: result.body as unknown })
      .where(eq(idempotencyKeys.id, claimed.id));
    return { result, replayed: false };
  });
}
