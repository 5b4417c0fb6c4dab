import { and, desc, eq, inArray, lt, ne } from "drizzle-orm";
import { drainBacklogJob } from "@/assignment/enqueue";
import { forgetAllChannels } from "@/channels/cache";
import { aiAgentChannels, aiAgents, channels } from "@/db/schema";
import { enqueue, type QueuedJob } from "@/jobs/outbox";
import type { Database, Executor, Transaction } from "@/platform/db";
import { ApiError } from "@/platform/errors";
import { getQueue } from "@/queues/service";
import type { AiAgentChanges, AiAgentRow, NewAiAgent } from "./schemas";

export type AiAgentWithChannels = { agent: AiAgentRow; channelIds: string[] };

async function channelsOf(db: Executor, agentIds: string[]): Promise<Map<string, string[]>> {
  const rows = agentIds.length
    ? await db
        .select({ agentId: aiAgentChannels.agentId, channelId: aiAgentChannels.channelId })
        .from(aiAgentChannels)
        .where(inArray(aiAgentChannels.agentId, agentIds))
        .orderBy(aiAgentChannels.channelId)
    : [];
  const byAgent = new Map<string, string[]>();
  for (const row of rows) byAgent.set(row.agentId, [...(byAgent.get(row.agentId) ?? []), row.channelId]);
  return byAgent;
}

/** The channels exist in the organization and, for an active agent, none has another active agent (409). */
async function assertChannels(
  tx: Transaction,
  organizationId: string,
  channelIds: string[],
  agent: { id?: string; active: boolean },
) {
  if (channelIds.length === 0) return;
  const found = await tx
    .select({ id: channels.id })
    .from(channels)
    .where(and(eq(channels.organizationId, organizationId), inArray(channels.id, channelIds)));
  const missing = channelIds.filter((id) => !found.some((c) => c.id === id));
  if (missing.length) throw new ApiError("NOT_FOUND", `No such channel in this organization: ${missing.join(", ")}.`);
  if (!agent.active) return;
  const taken = await tx
    .select({ channelId: aiAgentChannels.channelId, agentId: aiAgentChannels.agentId })
    .from(aiAgentChannels)
    .where(
      and(
        inArray(aiAgentChannels.channelId, channelIds),
        eq(aiAgentChannels.active, true),
        agent.id ? ne(aiAgentChannels.agentId, agent.id) : undefined,
      ),
    );
  if (taken.length) {
    const which = taken.map((t) => `${t.channelId} (agent ${t.agentId})`).join(", ");
    throw new ApiError("CONFLICT", `A channel has one active AI agent; already covered: ${which}.`);
  }
}

async function assertQueue(db: Executor, organizationId: string, queueId: string | null | undefined) {
  if (queueId) await getQueue(db, organizationId, queueId);
}

export async function createAiAgent(
  db: Database,
  organizationId: string,
  input: NewAiAgent,
): Promise<AiAgentWithChannels> {
  const channelIds = [...new Set(input.channelIds)];
  const created = await db.transaction(async (tx) => {
    await assertQueue(tx, organizationId, input.handoffQueueId);
    await assertChannels(tx, organizationId, channelIds, { active: input.active });
    const [agent] = await tx
      .insert(aiAgents)
      .values({
        organizationId,
        name: input.name,
        instructions: input.instructions,
        model: input.model,
        temperature: input.temperature ?? null,
        handoffQueueId: input.handoffQueueId ?? null,
        historyWindow: input.historyWindow,
        debounceSeconds: input.debounceSeconds,
        knowledge: input.knowledge,
        active: input.active,
      })
      .returning();
    if (!agent) throw new Error("agent insert returned nothing");
    if (channelIds.length) {
      await tx
        .insert(aiAgentChannels)
        .values(
          channelIds.map((channelId) => ({ agentId: agent.id, channelId, organizationId, active: agent.active })),
        );
    }
    return { agent, channelIds: [...channelIds].sort() };
  });
  // Webhooks decide from a cached flag whether a channel's messages go to the bot.
  forgetAllChannels();
  return created;
}

export async function getAiAgent(db: Executor, organizationId: string, id: string): Promise<AiAgentWithChannels> {
  const [agent] = await db
    .select()
    .from(aiAgents)
    .where(and(eq(aiAgents.organizationId, organizationId), eq(aiAgents.id, id)));
  if (!agent) throw new ApiError("NOT_FOUND", "No such AI agent in this organization.");
  return { agent, channelIds: (await channelsOf(db, [agent.id])).get(agent.id) ?? [] };
}

export async function listAiAgents(
  db: Executor,
  organizationId: string,
  page: { limit: number; after?: string },
): Promise<AiAgentWithChannels[]> {
  const rows = await db
    .select()
    .from(aiAgents)
    .where(and(eq(aiAgents.organizationId, organizationId), page.after ? lt(aiAgents.id, page.after) : undefined))
    .orderBy(desc(aiAgents.id))
    .limit(page.limit + 1);
  const byAgent = await channelsOf(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((agent) => ({ agent, channelIds: byAgent.get(agent.id) ?? [] }));
}

/**
 * Applies a change. Tickets the bot held on a channel it no longer covers (deactivated, channel
 * removed) go to people: the backlog is handed out again.
 */
export async function updateAiAgent(
  db: Database,
  organizationId: string,
  id: string,
  changes: AiAgentChanges,
): Promise<AiAgentWithChannels & { jobs: QueuedJob[] }> {
  const updated = await db.transaction(async (tx) => {
    const [before] = await tx
      .select()
      .from(aiAgents)
      .where(and(eq(aiAgents.organizationId, organizationId), eq(aiAgents.id, id)))
      .for("update");
    if (!before) throw new ApiError("NOT_FOUND", "No such AI agent in this organization.");
    const previous = (await channelsOf(tx, [id])).get(id) ?? [];
    const channelIds = changes.channelIds ? [...new Set(changes.channelIds)].sort() : previous;
    const active = changes.active ?? before.active;
    await assertQueue(tx, organizationId, changes.handoffQueueId);
    await assertChannels(tx, organizationId, channelIds, { id, active });
    const { channelIds: _channels, ...columns } = changes;
    const [agent] = await tx
      .update(aiAgents)
      .set({ ...columns, updatedAt: new Date() })
      .where(eq(aiAgents.id, id))
      .returning();
    if (!agent) throw new ApiError("NOT_FOUND", "No such AI agent in this organization.");
    await tx.delete(aiAgentChannels).where(eq(aiAgentChannels.agentId, id));
    if (channelIds.length) {
      await tx
        .insert(aiAgentChannels)
        .values(channelIds.map((channelId) => ({ agentId: id, channelId, organizationId, active })));
    }
    const released = (before.active && !active) || previous.some((c) => !channelIds.includes(c));
    const jobs = released ? await enqueue(tx, [drainBacklogJob(organizationId)]) : [];
    return { agent, channelIds, jobs };
  });
  forgetAllChannels();
  return updated;
}

/** Deletes an agent; the tickets it held go to people. */
export async function deleteAiAgent(db: Database, organizationId: string, id: string): Promise<QueuedJob[]> {
  const jobs = await db.transaction(async (tx) => {
    const [deleted] = await tx
      .delete(aiAgents)
      .where(and(eq(aiAgents.organizationId, organizationId), eq(aiAgents.id, id)))
      .returning({ id: aiAgents.id });
    if (!deleted) throw new ApiError("NOT_FOUND", "No such AI agent in this organization.");
    return enqueue(tx, [drainBacklogJob(organizationId)]);
  });
  forgetAllChannels();
  return jobs;
}
