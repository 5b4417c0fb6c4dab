import { and, desc, eq, lt } from "drizzle-orm";
import { v7 as uuidv7 } from "uuid";
import { forgetChannel } from "@/channels/cache";
import { customWebhooks } from "@/db/schema";
import { sealContext } from "@/keys/sealed";
import { decryptSecret, encryptSecret, randomToken } from "@/platform/crypto";
import type { Executor } from "@/platform/db";
import type { Env } from "@/platform/env";
import { ApiError } from "@/platform/errors";

export type CustomWebhookRow = typeof customWebhooks.$inferSelect;

// Bound into the ciphertext: a secret copied onto another hook's (or organization's) row does not open.
const context = sealContext.customWebhook;

/** Where the hook's sender posts. */
export const customWebhookUrl = (publicUrl: string, row: Pick<CustomWebhookRow, "organizationId" | "id">) =>
  `${publicUrl}/webhooks/custom/${row.organizationId}/${row.id}`;

export async function openHookSecret(env: Env, row: CustomWebhookRow): Promise<string> {
  return decryptSecret(env.ENCRYPTION_KEY, row.secret, context(row.organizationId, row.id));
}

const newSecret = () => `whsec_${randomToken(32)}`;

/** A named hook with a fresh signing secret, returned this once. */
export async function createCustomWebhook(db: Executor, env: Env, organizationId: string, name: string) {
  // The id is chosen here because it is bound into the sealed secret.
  const id = uuidv7();
  const secret = newSecret();
  const [row] = await db
    .insert(customWebhooks)
    .values({
      id,
      organizationId,
      name,
      secret: await encryptSecret(env.ENCRYPTION_KEY, secret, context(organizationId, id)),
    })
    .onConflictDoNothing({ target: [customWebhooks.organizationId, customWebhooks.name] })
    .returning();
  if (!row) throw new ApiError("CONFLICT", `A custom webhook named "${name}" already exists.`);
  return { row, secret };
}

export async function listCustomWebhooks(
  db: Executor,
  organizationId: string,
  page: { limit: number; after?: string },
) {
  return db
    .select()
    .from(customWebhooks)
    .where(
      and(
        eq(customWebhooks.organizationId, organizationId),
        page.after ? lt(customWebhooks.id, page.after) : undefined,
      ),
    )
    .orderBy(desc(customWebhooks.id))
    .limit(page.limit + 1);
}

export async function getCustomWebhook(db: Executor, organizationId: string, id: string): Promise<CustomWebhookRow> {
  const [row] = await db
    .select()
    .from(customWebhooks)
    .where(and(eq(customWebhooks.organizationId, organizationId), eq(customWebhooks.id, id)));
  if (!row) throw new ApiError("NOT_FOUND", "No such custom webhook in this organization.");
  return row;
}

export async function deleteCustomWebhook(db: Executor, organizationId: string, id: string): Promise<void> {
  const row = await getCustomWebhook(db, organizationId, id);
  await db.delete(customWebhooks).where(eq(customWebhooks.id, row.id));
  forgetChannel(row.id);
}

/** A new secret, effective at once (the old one stops verifying), returned this once. */
export async function rotateCustomWebhook(db: Executor, env: Env, organizationId: string, id: string, now: Date) {
  const row = await getCustomWebhook(db, organizationId, id);
  const secret = newSecret();
  const [updated] = await db
    .update(customWebhooks)
    .set({ secret: await encryptSecret(env.ENCRYPTION_KEY, secret, context(organizationId, id)), rotatedAt: now })
    .where(eq(customWebhooks.id, row.id))
    .returning();
  if (!updated) throw new ApiError("NOT_FOUND", "No such custom webhook in this organization.");
  forgetChannel(row.id);
  return { row: updated, secret };
}
