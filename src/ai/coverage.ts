import { and, eq, sql } from "drizzle-orm";
import { cachedChannel } from "@/channels/cache";
import { aiAgentChannels, integrations } from "@/db/schema";
import type { Services } from "@/platform/services";

/**
 * What the bot makes of a channel's inbound messages: "bot" (an active agent covers the channel
 * and the organization can reach a model), "no_model" (covered, but there is no key: nothing is
 * queued), "model" (no agent, but a model: voice notes are still transcribed), or "none". Kept
 * with the channel cache, so the hot path of channels without an agent pays no query after the first.
 */
export type Coverage = "bot" | "no_model" | "model" | "none";

export async function channelCoverage(
  services: Services,
  channel: { id: string; organizationId: string },
): Promise<Coverage> {
  const { db, env } = services;
  const coverage = await cachedChannel(`ai:${channel.id}`, async () => {
    const [row] = await db
      .select({
        covered: sql<boolean>`exists (select 1 from ${aiAgentChannels} where ${and(
          eq(aiAgentChannels.channelId, channel.id),
          eq(aiAgentChannels.active, true),
        )})`,
        ownModel: sql<boolean>`exists (select 1 from ${integrations} where ${and(
          eq(integrations.organizationId, channel.organizationId),
          eq(integrations.provider, "openai"),
        )})`,
      })
      .from(sql`(select 1) as one`);
    const model = Boolean(row?.ownModel || env.OPENAI_API_KEY);
    if (!row?.covered) return model ? ("model" as const) : ("none" as const);
    return model ? ("bot" as const) : ("no_model" as const);
  });
  return coverage ?? "none";
}
