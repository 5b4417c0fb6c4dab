import { and, eq, gte, lt, type SQL, sql } from "drizzle-orm";
import { aiUsage } from "@/db/schema";
import type { Executor } from "@/platform/db";

export const groupings = ["day", "model", "purpose"] as const;
type Grouping = (typeof groupings)[number];

const keyOf: Record<Grouping, SQL<string>> = {
  day: sql<string>`to_char(${aiUsage.createdAt} at time zone 'UTC', 'YYYY-MM-DD')`,
  model: sql<string>`${aiUsage.model}`,
  purpose: sql<string>`${aiUsage.purpose}`,
};

/** An organization's model calls in [from, to), summed per day (UTC), model or purpose. */
export async function usageGroups(db: Executor, organizationId: string, from: Date, to: Date, groupBy: Grouping) {
  const key = keyOf[groupBy];
  return db
    .select({
      key,
      calls: sql<number>`count(*)::int`,
      promptTokens: sql<number>`coalesce(sum(${aiUsage.promptTokens}), 0)::int`,
      completionTokens: sql<number>`coalesce(sum(${aiUsage.completionTokens}), 0)::int`,
      audioSeconds: sql<number>`coalesce(sum(${aiUsage.audioSeconds}), 0)::float8`,
      costUsd: sql<number>`coalesce(sum(${aiUsage.costUsd}), 0)::float8`,
    })
    .from(aiUsage)
    .where(and(eq(aiUsage.organizationId, organizationId), gte(aiUsage.createdAt, from), lt(aiUsage.createdAt, to)))
    .groupBy(key)
    .orderBy(key);
}
