import { and, eq, inArray, or } from "drizzle-orm";
import { notifications, users } from "@/db/schema";
import type { Executor } from "@/platform/db";

export type NewNotification = typeof notifications.$inferInsert;
export type Recipient = { id: string; organizationId: string; role: string };

/**
 * Who hears about an organization's alerts: its active admins and supervisors, plus the given
 * users (a ticket's assignee) while they are active members of it. One query for many organizations.
 */
export async function alertRecipients(
  db: Executor,
  organizationIds: string[],
  userIds: string[],
): Promise<Map<string, Recipient[]>> {
  const byOrganization = new Map<string, Recipient[]>();
  if (organizationIds.length === 0) return byOrganization;
  const rows = await db
    .select({ id: users.id, organizationId: users.organizationId, role: users.role })
    .from(users)
    .where(
      and(
        eq(users.active, true),
        inArray(users.organizationId, organizationIds),
        or(inArray(users.role, ["admin", "supervisor"]), userIds.length ? inArray(users.id, userIds) : undefined),
      ),
    );
  for (const row of rows)
    byOrganization.set(row.organizationId, [...(byOrganization.get(row.organizationId) ?? []), row]);
  return byOrganization;
}

/** The supervisors and admins, with `extra` (an assignee) when they belong to the organization. */
export function recipientsOf(recipients: Recipient[] | undefined, extra: string | null): string[] {
  const ids = new Set<string>();
  for (const r of recipients ?? []) if (r.role !== "agent" || r.id === extra) ids.add(r.id);
  return [...ids];
}

/** Writes in-app notifications in the caller's transaction; a user gets each source once. */
export async function insertNotifications(db: Executor, rows: NewNotification[]): Promise<number> {
  if (rows.length === 0) return 0;
  const inserted = await db
    .insert(notifications)
    .values(rows)
    .onConflictDoNothing({ target: [notifications.userId, notifications.sourceKey] })
    .returning({ id: notifications.id });
  return inserted.length;
}
