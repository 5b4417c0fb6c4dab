import { and, desc, eq, gte, like, lt, type SQL } from "drizzle-orm";
import { type AuditActorType, auditLog } from "@/db/schema";
import type { Executor } from "@/platform/db";
import { escapeLike } from "@/platform/like";

export type AuditRow = typeof auditLog.$inferSelect;

export type AuditFilters = {
  /** An action (`user.role_changed`), or every action under a prefix (`otp.*`). */
  action?: string;
  actorType?: AuditActorType;
  actorId?: string;
  targetType?: string;
  targetId?: string;
  from?: string;
  to?: string;
};

/** The organization's entries, newest first, `before` an id (keyset), `limit + 1` rows at most. */
export async function listAudit(
  db: Executor,
  organizationId: string,
  filters: AuditFilters,
  page: { limit: number; before?: string },
): Promise<AuditRow[]> {
  const conditions: (SQL | undefined)[] = [
    eq(auditLog.organizationId, organizationId),
    filters.action?.endsWith("*")
      ? like(auditLog.action, `${escapeLike(filters.action.slice(0, -1))}%`)
      : filters.action
        ? eq(auditLog.action, filters.action)
        : undefined,
    filters.actorType ? eq(auditLog.actorType, filters.actorType) : undefined,
    filters.actorId ? eq(auditLog.actorId, filters.actorId) : undefined,
    filters.targetType ? eq(auditLog.targetType, filters.targetType) : undefined,
    filters.targetId ? eq(auditLog.targetId, filters.targetId) : undefined,
    filters.from ? gte(auditLog.createdAt, new Date(filters.from)) : undefined,
    // Inclusive to the millisecond: the API shows milliseconds, the column keeps microseconds.
    filters.to ? lt(auditLog.createdAt, new Date(Date.parse(filters.to) + 1)) : undefined,
    page.before ? lt(auditLog.id, page.before) : undefined,
  ];
  return db
    .select()
    .from(auditLog)
    .where(and(...conditions))
    .orderBy(desc(auditLog.id))
    .limit(page.limit + 1);
}
