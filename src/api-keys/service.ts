import { and, desc, eq, isNull, lt } from "drizzle-orm";
import { apiKeys, type Role } from "@/db/schema";
import { API_KEY_PREFIX } from "@/platform/auth";
import { randomToken, sha256Hex } from "@/platform/crypto";
import type { Executor } from "@/platform/db";
import { ApiError } from "@/platform/errors";
import type { Principal } from "@/platform/principal";

/** Creates a key; only its hash is stored, so the key itself is returned here and never again. */
export async function createApiKey(
  db: Executor,
  principal: Principal,
  input: { name: string; role: Role; expiresAt?: string },
) {
  const key = `${API_KEY_PREFIX}${randomToken(30)}`;
  const [row] = await db
    .insert(apiKeys)
    .values({
      organizationId: principal.organizationId,
      name: input.name,
      role: input.role,
      prefix: key.slice(0, 10),
      keyHash: await sha256Hex(key),
      createdBy: principal.type === "user" ? principal.id : null,
      expiresAt: input.expiresAt ? new Date(input.expiresAt) : null,
    })
    .returning();
  if (!row) throw new Error("api key insert returned nothing");
  return { row, key };
}

/** Keys not revoked, newest first. */
export async function listApiKeys(db: Executor, organizationId: string, page: { limit: number; after?: string }) {
  return db
    .select()
    .from(apiKeys)
    .where(
      and(
        eq(apiKeys.organizationId, organizationId),
        isNull(apiKeys.revokedAt),
        page.after ? lt(apiKeys.id, page.after) : undefined,
      ),
    )
    .orderBy(desc(apiKeys.id))
    .limit(page.limit + 1);
}

export async function revokeApiKey(db: Executor, organizationId: string, id: string, at: Date): Promise<void> {
  const [row] = await db
    .update(apiKeys)
    .set({ revokedAt: at })
    .where(and(eq(apiKeys.organizationId, organizationId), eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id });
  if (!row) throw new ApiError("NOT_FOUND", "No such API key in this organization.");
}
