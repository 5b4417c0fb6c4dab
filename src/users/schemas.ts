import { z } from "@hono/zod-openapi";
import { roles, type users } from "@/db/schema";
import { timestamp } from "@/platform/openapi";

export const email = z
  .email()
  .max(254)
  .transform((v) => v.trim().toLowerCase())
  .openapi({ example: "ana@example.com" });

/** NIST 800-63B: length over composition rules; the upper bound caps hashing cost. */
export const password = z.string().min(12, "must be at least 12 characters").max(128);

export const role = z.enum(roles).openapi({ description: "admin | supervisor | agent" });

export const userSchema = z
  .object({
    id: z.string(),
    organizationId: z.string(),
    email: z.string(),
    name: z.string(),
    role,
    status: z.enum(["active", "invited", "deactivated"]),
    lastLoginAt: timestamp.nullable(),
    createdAt: timestamp,
  })
  .openapi("User");

export type UserRow = typeof users.$inferSelect;

export function presentUser(user: UserRow): z.infer<typeof userSchema> {
  return {
    id: user.id,
    organizationId: user.organizationId,
    email: user.email,
    name: user.name,
    role: user.role,
    status: !user.active ? "deactivated" : user.passwordHash ? "active" : "invited",
    lastLoginAt: user.lastLoginAt?.toISOString() ?? null,
    createdAt: user.createdAt.toISOString(),
  };
}
