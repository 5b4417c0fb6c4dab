import { and, desc, eq, isNull, lt, sql } from "drizzle-orm";
import { notifications } from "@/db/schema";
import type { Executor } from "@/platform/db";
import { ApiError } from "@/platform/errors";

export type NotificationRow = typeof notifications.$inferSelect;

/** A user's notifications, newest first, a keyset page; only the unread ones when asked. */
export function listNotifications(
  db: Executor,
  owner: { organizationId: string; userId: string },
  page: { limit: number; after?: string; unread?: boolean },
) {
  return db
    .select()
    .from(notifications)
    .where(
      and(
        eq(notifications.organizationId, owner.organizationId),
        eq(notifications.userId, owner.userId),
        page.unread ? isNull(notifications.readAt) : undefined,
        page.after ? lt(notifications.id, page.after) : undefined,
      ),
    )
    .orderBy(desc(notifications.id))
    .limit(page.limit + 1);
}

/** Marks one of the user's notifications read (again: no change); another user's is 404. */
export async function markRead(db: Executor, owner: { organizationId: string; userId: string }, id: string) {
  const [row] = await db
    .update(notifications)
    .set({ readAt: sql`coalesce(${notifications.readAt}, now())` })
    .where(
      and(
        eq(notifications.organizationId, owner.organizationId),
        eq(notifications.userId, owner.userId),
        eq(notifications.id, id),
      ),
    )
    .returning();
  if (!row) throw new ApiError("NOT_FOUND", "No such notification of yours.");
  return row;
}

/** Marks every unread notification of the user read; answers how many were. */
export async function markAllRead(db: Executor, owner: { organizationId: string; userId: string }) {
  const rows = await db
    .update(notifications)
    .set({ readAt: sql`now()` })
    .where(
      and(
        eq(notifications.organizationId, owner.organizationId),
        eq(notifications.userId, owner.userId),
        isNull(notifications.readAt),
      ),
    )
    .returning({ id: notifications.id });
  return rows.length;
}
