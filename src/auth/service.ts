import { and, eq, gt, sql } from "drizzle-orm";
import { apiKeys, organizations, users } from "@/db/schema";
import { findOrganization } from "@/organizations/service";
import { sha256Hex } from "@/platform/crypto";
import type { Database } from "@/platform/db";
import { isUniqueViolation } from "@/platform/db-errors";
import { ApiError } from "@/platform/errors";
import { DECOY_HASH, hashPassword, needsRehash, verifyPassword } from "@/platform/password";
import type { Principal } from "@/platform/principal";

const EMAIL_TAKEN = "An account with this e-mail already exists.";

export async function registerOrganization(
  db: Database,
  input: { organizationName: string; name: string; email: string; password: string },
) {
  const passwordHash = await hashPassword(input.password);
  try {
    return await db.transaction(async (tx) => {
      const [organization] = await tx.insert(organizations).values({ name: input.organizationName }).returning();
      if (!organization) throw new Error("organization insert returned nothing");
      const [user] = await tx
        .insert(users)
        .values({ organizationId: organization.id, email: input.email, name: input.name, role: "admin", passwordHash })
        .returning();
      if (!user) throw new Error("user insert returned nothing");
      return { organization, user };
    });
  } catch (error) {
    if (isUniqueViolation(error, "users_email_key")) throw new ApiError("CONFLICT", EMAIL_TAKEN);
    throw error;
  }
}

/** Verifies credentials in constant work whether or not the account exists. */
export async function authenticate(db: Database, email: string, password: string) {
  const [user] = await db
    .select()
    .from(users)
    .where(eq(sql`lower(${users.email})`, email.toLowerCase()));
  const valid = await verifyPassword(password, user?.passwordHash ?? DECOY_HASH);
  if (!user || !valid || !user.active || !user.passwordHash) {
    throw new ApiError("UNAUTHORIZED", "Invalid e-mail or password.");
  }
  const changes: Partial<typeof users.$inferInsert> = { lastLoginAt: new Date() };
  if (needsRehash(user.passwordHash)) changes.passwordHash = await hashPassword(password);
  await db.update(users).set(changes).where(eq(users.id, user.id));
  return user;
}

/** The account a failed sign-in tried, and why it failed, for the audit log; null for an unknown e-mail. */
export async function failedLoginTarget(db: Database, email: string) {
  const [user] = await db
    .select({
      id: users.id,
      organizationId: users.organizationId,
      active: users.active,
      invited: sql<boolean>`${users.passwordHash} is null`,
    })
    .from(users)
    .where(eq(sql`lower(${users.email})`, email.toLowerCase()));
  if (!user) return null;
  const reason = !user.active ? "inactive" : user.invited ? "invitation_pending" : "wrong_password";
  return { id: user.id, organizationId: user.organizationId, reason };
}

export async function acceptInvite(db: Database, token: string, password: string) {
  const tokenHash = await sha256Hex(token);
  const passwordHash = await hashPassword(password);
  const [user] = await db
    .update(users)
    .set({ passwordHash, inviteTokenHash: null, inviteExpiresAt: null, lastLoginAt: new Date() })
    .where(and(eq(users.inviteTokenHash, tokenHash), gt(users.inviteExpiresAt, new Date()), eq(users.active, true)))
    .returning();
  if (!user) throw new ApiError("UNAUTHORIZED", "The invitation is invalid or has expired.");
  return user;
}

/** Who the principal is: their organization and, by kind, their user or API key (when still there). */
export async function whoami(db: Database, principal: Principal) {
  const organization = await findOrganization(db, principal.organizationId);
  if (!organization) throw new ApiError("UNAUTHORIZED", "The organization no longer exists.");
  if (principal.type === "user") {
    const [user] = await db.select().from(users).where(eq(users.id, principal.id));
    return { organization, user: user ?? null, apiKey: null };
  }
  const [apiKey] = await db
    .select({ id: apiKeys.id, name: apiKeys.name, prefix: apiKeys.prefix })
    .from(apiKeys)
    .where(eq(apiKeys.id, principal.id));
  return { organization, user: null, apiKey: apiKey ?? null };
}
