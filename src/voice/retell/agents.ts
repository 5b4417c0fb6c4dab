import { and, desc, eq, lt } from "drizzle-orm";
import { ProviderError } from "@/channels/http";
import { type ChannelRow, openCredentials } from "@/channels/secrets";
import { channels, retellAgents } from "@/db/schema";
import type { Executor } from "@/platform/db";
import { ApiError } from "@/platform/errors";
import type { Services } from "@/platform/services";
import {
  createRetellAgent,
  createRetellLlm,
  deleteRetellAgent,
  deleteRetellLlm,
  getRetellAgent,
  getRetellLlm,
  type RetellApi,
  retellApi,
} from "./api";
import { retellChannel as retellChannelDefinition, retellConfig } from "./channel";

export type RetellAgentRow = typeof retellAgents.$inferSelect;

export type NewRetellAgent = {
  channelId?: string;
  name: string;
  voiceId: string;
  prompt: string;
  firstMessage?: string;
  model?: string;
  temperature?: number;
  language?: string;
};

/** A Retell failure as the API's answer: its rate limit passed on, an outage 502, a refusal 422. */
export function retellFailure(error: unknown): never {
  if (!(error instanceof ProviderError)) throw error;
  const { status, retryable, retryAfter } = error.options;
  if (status === 429) {
    throw new ApiError("RATE_LIMITED", `Retell is rate limiting this key: ${error.message}`, { retryAfter });
  }
  if (retryable) throw new ApiError("BAD_GATEWAY", `Retell did not answer: ${error.message}`);
  if (status === 401 || status === 403) {
    throw new ApiError(
      "UNPROCESSABLE",
      "Retell refused the channel's API key; update it with PATCH /api/channels/{id}.",
    );
  }
  throw new ApiError("UNPROCESSABLE", `Retell refused the request: ${error.message}`);
}

const isNotFound = (error: unknown) => error instanceof ProviderError && error.options.status === 404;

/**
 * The retell channel whose key the request uses: the one named, or the organization's only one.
 * Another organization's channel is a 404, like any resource of theirs.
 */
async function resolveChannel(db: Executor, organizationId: string, channelId?: string): Promise<ChannelRow> {
  const rows = await db
    .select()
    .from(channels)
    .where(
      and(
        eq(channels.organizationId, organizationId),
        channelId ? eq(channels.id, channelId) : eq(channels.type, "retell"),
      ),
    )
    .limit(2);
  const [row] = rows;
  if (channelId) {
    if (!row) throw new ApiError("NOT_FOUND", "No such channel in this organization.");
    if (row.type !== "retell")
      throw new ApiError("UNPROCESSABLE", `Channel ${row.id} is a ${row.type} channel, not retell.`);
    return row;
  }
  if (!row) {
    throw new ApiError("UNPROCESSABLE", "The organization has no retell channel: create one with POST /api/channels.");
  }
  if (rows.length > 1)
    throw new ApiError("UNPROCESSABLE", "The organization has several retell channels: pass channelId.");
  return row;
}

async function channelApi(services: Services, row: ChannelRow): Promise<RetellApi> {
  const config = retellConfig.safeParse(await openCredentials(services.env, row));
  if (!config.success) throw new ApiError("MISCONFIGURED", "The retell channel's stored configuration is invalid.");
  return retellApi(services.env, config.data.apiKey);
}

async function mirrorRow(db: Executor, organizationId: string, id: string): Promise<RetellAgentRow> {
  const [row] = await db
    .select()
    .from(retellAgents)
    .where(and(eq(retellAgents.organizationId, organizationId), eq(retellAgents.id, id)));
  if (!row) throw new ApiError("NOT_FOUND", "No such Retell agent in this organization.");
  return row;
}

async function mirrorChannel(db: Executor, row: RetellAgentRow): Promise<ChannelRow> {
  const [channel] = await db.select().from(channels).where(eq(channels.id, row.channelId));
  if (!channel) throw new ApiError("NOT_FOUND", "No such Retell agent in this organization.");
  return channel;
}

/**
 * Creates the agent at Retell, then mirrors it. Retell's create-agent needs a response engine, so a
 * Retell LLM carrying the prompt, first message, model and temperature is created first (and
 * deleted again if the agent is refused). The agent posts its calls to the channel's webhook.
 */
export async function createAgent(services: Services, organizationId: string, input: NewRetellAgent) {
  const { db, env, log } = services;
  const channel = await resolveChannel(db, organizationId, input.channelId);
  const api = await channelApi(services, channel);
  const llm = await createRetellLlm(api, {
    general_prompt: input.prompt,
    begin_message: input.firstMessage,
    model: input.model,
    model_temperature: input.temperature,
  }).catch(retellFailure);
  const webhookUrl = retellChannelDefinition.webhookUrls(env.PUBLIC_URL, channel.id, "").webhook;
  let agent: Awaited<ReturnType<typeof createRetellAgent>>;
  try {
    agent = await createRetellAgent(api, {
      response_engine: { type: "retell-llm", llm_id: llm.llm_id },
      voice_id: input.voiceId,
      agent_name: input.name,
      webhook_url: webhookUrl,
      language: input.language,
    });
  } catch (error) {
    await deleteRetellLlm(api, llm.llm_id).catch((cleanup) =>
      log.warn("could not delete the Retell LLM of a refused agent", { llmId: llm.llm_id, error: cleanup }),
    );
    retellFailure(error);
  }
  const [row] = await db
    .insert(retellAgents)
    .values({
      organizationId,
      channelId: channel.id,
      remoteAgentId: agent.agent_id,
      remoteLlmId: llm.llm_id,
      name: agent.agent_name ?? input.name,
      voiceId: agent.voice_id,
      prompt: llm.general_prompt ?? input.prompt,
      firstMessage: llm.begin_message ?? input.firstMessage ?? null,
      model: llm.model ?? input.model ?? null,
      temperature: llm.model_temperature ?? input.temperature ?? null,
      language: agent.language ?? input.language ?? null,
    })
    .returning();
  if (!row) throw new Error("retell agent insert returned nothing");
  return row;
}

export async function listAgents(
  db: Executor,
  organizationId: string,
  filter: { channelId?: string; after?: string; limit: number },
) {
  return db
    .select()
    .from(retellAgents)
    .where(
      and(
        eq(retellAgents.organizationId, organizationId),
        filter.channelId ? eq(retellAgents.channelId, filter.channelId) : undefined,
        filter.after ? lt(retellAgents.id, filter.after) : undefined,
      ),
    )
    .orderBy(desc(retellAgents.id))
    .limit(filter.limit + 1);
}

/**
 * The agent as Retell has it now, written into the mirror. An agent deleted at Retell leaves the
 * mirror too (404); when Retell cannot be reached the mirror answers, marked stale.
 */
export async function refreshAgent(services: Services, organizationId: string, id: string) {
  const { db, log } = services;
  const row = await mirrorRow(db, organizationId, id);
  const api = await channelApi(services, await mirrorChannel(db, row));
  try {
    const agent = await getRetellAgent(api, row.remoteAgentId);
    const llmId = agent.response_engine.type === "retell-llm" ? agent.response_engine.llm_id : null;
    const llm = llmId ? await getRetellLlm(api, llmId) : undefined;
    const [updated] = await db
      .update(retellAgents)
      .set({
        name: agent.agent_name ?? row.name,
        voiceId: agent.voice_id,
        language: agent.language ?? null,
        ...(llm
          ? {
              prompt: llm.general_prompt ?? null,
              firstMessage: llm.begin_message ?? null,
              model: llm.model ?? null,
              temperature: llm.model_temperature ?? null,
            }
          : {}),
        syncedAt: services.now(),
      })
      .where(eq(retellAgents.id, row.id))
      .returning();
    return { row: updated ?? row, stale: false };
  } catch (error) {
    if (isNotFound(error)) {
      await db.delete(retellAgents).where(eq(retellAgents.id, row.id));
      throw new ApiError("NOT_FOUND", "The agent no longer exists at Retell; its mirror was removed.");
    }
    if (!(error instanceof ProviderError) || !error.options.retryable) retellFailure(error);
    log.warn("Retell unreachable, answering the agent's mirror", { agentId: row.id, error: error.message });
    return { row, stale: true };
  }
}

/** Deletes the agent (and the LLM made for it) at Retell, then the mirror. Already gone counts as deleted. */
export async function deleteAgent(services: Services, organizationId: string, id: string) {
  const { db, log } = services;
  const row = await mirrorRow(db, organizationId, id);
  const api = await channelApi(services, await mirrorChannel(db, row));
  await deleteRetellAgent(api, row.remoteAgentId).catch((error) => {
    if (!isNotFound(error)) retellFailure(error);
  });
  if (row.remoteLlmId) {
    const llmId = row.remoteLlmId;
    await deleteRetellLlm(api, llmId).catch((error) => {
      if (!isNotFound(error)) log.warn("could not delete a deleted agent's Retell LLM", { llmId, error });
    });
  }
  await db.delete(retellAgents).where(eq(retellAgents.id, row.id));
}
