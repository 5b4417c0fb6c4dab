import { and, count, desc, eq, lt, ne } from "drizzle-orm";
import { createAgentProfile } from "@/agents/service";
import { type Role, users } from "@/db/schema";
import { randomToken, sha256Hex } from "@/platform/crypto";
import type { Database, Executor } from "@/platform/db";
import { isUniqueViolation } from "@/platform/db-errors";
import { ApiError } from "@/platform/errors";
import { hashPassword } from "@/platform/password";

const INVITE_TTL_MS = 7 * 24 * 3600 * 1000;

export async function listUsers(db: Database, organizationId: string, page: { limit: number; after?: string }) {
  return db
    .select()
    .from(users)
    .where(and(eq(users.organizationId, organizationId), page.after ? lt(users.id, page.after) : undefined))
    .orderBy(desc(users.id))
    .limit(page.limit + 1);
}

export async function getUser(db: Executor, organizationId: string, id: string) {
  const [user] = await db
    .select()
    .from(users)
    .where(and(eq(users.organizationId, organizationId), eq(users.id, id)));
  if (!user) throw new ApiError("NOT_FOUND", "No such user in this organization.");
  return user;
}

/** Creates a user; without a password it is an invitation, answered with a one-time token. */
export async function createUser(
  db: Database,
  organizationId: string,
  input: { email: string; name: string; role: Role; password?: string },
) {
  const inviteToken = input.password ? undefined : randomToken(24);
  const values = {
    organizationId,
    email: input.email,
    name: input.name,
    role: input.role,
    passwordHash: input.password ? await hashPassword(input.password) : null,
    inviteTokenHash: inviteToken ? await sha256Hex(inviteToken) : null,
    inviteExpiresAt: inviteToken ? new Date(Date.now() + INVITE_TTL_MS) : null,
  };
  try {
    const user = await db.transaction(async (tx) => {
      const [row] = await tx.insert(users).values(values).returning();
      if (!row) throw new Error("user insert returned nothing");
      await createAgentProfile(tx, row);
      return row;
    });
    return { user, inviteToken };
  } catch (error) {
    if (isUniqueViolation(error, "users_email_key")) {
      throw new ApiError("CONFLICT", "An account with this e-mail already exists.");
    }
    throw error;
  }
}

/** An organization must always keep one active admin, or nobody could manage it again. */
async function assertAnotherAdmin(db: Executor, organizationId: string, userId: string) {
  const [row] = await db
    .select({ n: count() })
    .from(users)
    .where(
      and(
        eq(users.organizationId, organizationId),
        eq(users.role, "admin"),
        eq(users.active, true),
        ne(users.id, userId),
      ),
    );
  if (!row || row.n === 0)
    throw new ApiError("CONFLICT", "The organization's last active admin cannot be demoted or deactivated.");
}

export async function updateUser(
  db: Database,
  organizationId: string,
  id: string,
  changes: { name?: string; role?: Role; active?: boolean },
) {
  return db.transaction(async (tx) => {
    const before = await getUser(tx, organizationId, id);
    const losesAdmin =
      before.role === "admin" &&
      before.active &&
      ((changes.role !== undefined && changes.role !== "admin") || changes.active === false);
    if (losesAdmin) await assertAnotherAdmin(tx, organizationId, id);
    const [after] = await tx
      .update(users)
      .set(changes)
      .where(and(eq(users.organizationId, organizationId), eq(users.id, id)))
      .returning();
    if (!after) throw new ApiError("NOT_FOUND", "No such user in this organization.");
    await createAgentProfile(tx, after);
    return { before, after };
  });
}
