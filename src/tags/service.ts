import { and, desc, eq, lt } from "drizzle-orm";
import { tags } from "@/db/schema";
import type { Database } from "@/platform/db";
import { isUniqueViolation } from "@/platform/db-errors";
import { ApiError } from "@/platform/errors";

const NOT_FOUND = "No such tag in this organization.";

/** Names are unique per organization regardless of case, so "VIP" and "vip" cannot both exist. */
async function uniqueName<T>(name: string | undefined, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isUniqueViolation(error, "tags_name_key")) {
      throw new ApiError("CONFLICT", `A tag named "${name}" already exists (names ignore case).`);
    }
    throw error;
  }
}

export async function listTags(db: Database, organizationId: string, page: { limit: number; after?: string }) {
  return db
    .select()
    .from(tags)
    .where(and(eq(tags.organizationId, organizationId), page.after ? lt(tags.id, page.after) : undefined))
    .orderBy(desc(tags.id))
    .limit(page.limit + 1);
}

export async function getTag(db: Database, organizationId: string, id: string) {
  const [row] = await db
    .select()
    .from(tags)
    .where(and(eq(tags.organizationId, organizationId), eq(tags.id, id)));
  if (!row) throw new ApiError("NOT_FOUND", NOT_FOUND);
  return row;
}

export async function createTag(db: Database, organizationId: string, input: { name: string; color?: string | null }) {
  const [row] = await uniqueName(input.name, () =>
    db
      .insert(tags)
      .values({ organizationId, name: input.name, color: input.color ?? null })
      .returning(),
  );
  if (!row) throw new Error("tag insert returned nothing");
  return row;
}

export async function updateTag(
  db: Database,
  organizationId: string,
  id: string,
  changes: { name?: string; color?: string | null },
) {
  const [row] = await uniqueName(changes.name, () =>
    db
      .update(tags)
      .set(changes)
      .where(and(eq(tags.organizationId, organizationId), eq(tags.id, id)))
      .returning(),
  );
  if (!row) throw new ApiError("NOT_FOUND", NOT_FOUND);
  return row;
}

/** The foreign key cascades, so the tag also disappears from every ticket that carried it. */
export async function deleteTag(db: Database, organizationId: string, id: string) {
  const [row] = await db
    .delete(tags)
    .where(and(eq(tags.organizationId, organizationId), eq(tags.id, id)))
    .returning();
  if (!row) throw new ApiError("NOT_FOUND", NOT_FOUND);
  return row;
}
