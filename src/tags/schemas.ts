import { z } from "@hono/zod-openapi";
import type { tags } from "@/db/schema";
import { timestamp } from "@/platform/openapi";

export const tagName = z.string().trim().min(1).max(50).openapi({ example: "billing" });

export const tagColor = z
  .string()
  .regex(/^#[0-9A-Fa-f]{6}$/, "must be a hex color like #1A2B3C")
  .openapi({ example: "#2E86DE" });

export const tagSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    color: z.string().nullable(),
    createdAt: timestamp,
  })
  .openapi("Tag");

export type TagRow = typeof tags.$inferSelect;

export function presentTag(row: TagRow): z.infer<typeof tagSchema> {
  return { id: row.id, name: row.name, color: row.color, createdAt: row.createdAt.toISOString() };
}
