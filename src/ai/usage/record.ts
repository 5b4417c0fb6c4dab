import { and, eq, gte, sql } from "drizzle-orm";
import { aiUsage, type UsagePurpose } from "@/db/schema";
import type { Executor } from "@/platform/db";
import { costUsd, type Price, priceOf } from "./prices";

type UsageEntry = {
  organizationId: string;
  ticketId?: string | null;
  agentId?: string | null;
  purpose: UsagePurpose;
  model: string;
  promptTokens: number;
  completionTokens: number;
  /** Seconds of audio transcribed (priced per minute where the model is). */
  audioSeconds?: number | null;
};

/** Records one model call at the organization's price; returns its cost in USD. */
export async function recordUsage(
  db: Executor,
  entry: UsageEntry,
  prices: Readonly<Record<string, Price>>,
): Promise<number> {
  const cost = costUsd(
    priceOf(entry.model, prices),
    entry.promptTokens,
    entry.completionTokens,
    entry.audioSeconds ?? 0,
  );
  await db.insert(aiUsage).values({
    organizationId: entry.organizationId,
    ticketId: entry.ticketId ?? null,
    agentId: entry.agentId ?? null,
    purpose: entry.purpose,
    model: entry.model,
    promptTokens: entry.promptTokens,
    completionTokens: entry.completionTokens,
    audioSeconds: entry.audioSeconds ?? null,
    costUsd: cost,
  });
  return cost;
}

/** What the organization has spent on models this UTC calendar month. */
export async function spentThisMonth(db: Executor, organizationId: string): Promise<number> {
  const [row] = await db
    .select({ total: sql<number>`coalesce(sum(${aiUsage.costUsd}), 0)::float8` })
    .from(aiUsage)
    .where(
      and(
        eq(aiUsage.organizationId, organizationId),
        gte(aiUsage.createdAt, sql`date_trunc('month', now() at time zone 'UTC') at time zone 'UTC'`),
      ),
    );
  return row?.total ?? 0;
}
