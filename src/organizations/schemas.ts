import { z } from "@hono/zod-openapi";
import type { organizations } from "@/db/schema";
import { timestamp } from "@/platform/openapi";

export const organizationSchema = z
  .object({ id: z.string(), name: z.string(), createdAt: timestamp })
  .openapi("Organization");

export function presentOrganization(org: typeof organizations.$inferSelect): z.infer<typeof organizationSchema> {
  return { id: org.id, name: org.name, createdAt: org.createdAt.toISOString() };
}
