import { and, desc, eq, lt } from "drizzle-orm";
import { blockedNumbers } from "@/db/schema";
import type { Executor } from "@/platform/db";
import { ApiError } from "@/platform/errors";
import { normalizePhone } from "@/platform/phone";

export type BlockedRow = typeof blockedNumbers.$inferSelect;

export async function listBlocked(db: Executor, organizationId: string, page: { limit: number; after?: string }) {
  return db
    .select()
    .from(blockedNumbers)
    .where(
      and(
        eq(blockedNumbers.organizationId, organizationId),
        page.after ? lt(blockedNumbers.id, page.after) : undefined,
      ),
    )
    .orderBy(desc(blockedNumbers.id))
    .limit(page.limit + 1);
}

/**
 * Blocks a number (E.164). Blocking one already blocked changes nothing and answers the existing
 * entry (created: false), so a script can repeat it safely; its reason stays the first one.
 */
export async function blockNumber(
  db: Executor,
  entry: { organizationId: string; phone: string; reason?: string; createdBy: string | null },
): Promise<{ row: BlockedRow; created: boolean }> {
  const [created] = await db
    .insert(blockedNumbers)
    .values({ ...entry, reason: entry.reason ?? null })
    .onConflictDoNothing({ target: [blockedNumbers.organizationId, blockedNumbers.phone] })
    .returning();
  if (created) return { row: created, created: true };
  const [existing] = await db
    .select()
    .from(blockedNumbers)
    .where(and(eq(blockedNumbers.organizationId, entry.organizationId), eq(blockedNumbers.phone, entry.phone)));
  if (!existing) throw new Error("blocked number vanished between insert and select");
  return { row: existing, created: false };
}

/** Unblocks by the entry's id or by the number in any common format; 404 when neither is blocked. */
export async function unblock(db: Executor, organizationId: string, idOrPhone: string): Promise<BlockedRow> {
  const isId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(idOrPhone);
  const phone = isId ? null : normalizePhone(idOrPhone);
  if (!isId && !phone) throw new ApiError("NOT_FOUND", "No such blocked number in this organization.");
  const [row] = await db
    .delete(blockedNumbers)
    .where(
      and(
        eq(blockedNumbers.organizationId, organizationId),
        isId ? eq(blockedNumbers.id, idOrPhone) : eq(blockedNumbers.phone, phone as string),
      ),
    )
    .returning();
  if (!row) throw new ApiError("NOT_FOUND", "No such blocked number in this organization.");
  return row;
}
