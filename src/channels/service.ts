import { and, desc, eq, lt } from "drizzle-orm";
import { v7 as uuidv7 } from "uuid";
import { channels } from "@/db/schema";
import { randomToken } from "@/platform/crypto";
import type { Executor } from "@/platform/db";
import type { Env } from "@/platform/env";
import { ApiError, zodIssues } from "@/platform/errors";
import { getQueue } from "@/queues/service";
import { forgetChannel } from "./cache";
import { channelDefinition } from "./definitions";
import type { ChannelChanges, NewChannel } from "./schemas";
import { type ChannelRow, openCredentials, sealCredentials, sealWebhookSecret } from "./secrets";
import { channelSettings, readSettings } from "./settings";
import type { AnyChannelType } from "./types";

function validConfig(type: AnyChannelType, config: unknown): Record<string, unknown> {
  const definition = channelDefinition(type);
  if (!definition) throw new ApiError("VALIDATION_FAILED", `Unknown channel type ${type}.`);
  const parsed = definition.configSchema.safeParse(config);
  if (!parsed.success) {
    throw new ApiError("VALIDATION_FAILED", `The ${type} config is invalid.`, {
      errors: zodIssues(parsed.error).map((i) => ({ ...i, path: ["config", ...i.path] })),
    });
  }
  return parsed.data;
}

async function assertQueue(db: Executor, organizationId: string, queueId: string | null | undefined) {
  if (queueId) await getQueue(db, organizationId, queueId);
}

export async function getChannel(db: Executor, organizationId: string, id: string): Promise<ChannelRow> {
  const [row] = await db
    .select()
    .from(channels)
    .where(and(eq(channels.organizationId, organizationId), eq(channels.id, id)));
  if (!row) throw new ApiError("NOT_FOUND", "No such channel in this organization.");
  return row;
}

export async function listChannels(db: Executor, organizationId: string, page: { limit: number; after?: string }) {
  return db
    .select()
    .from(channels)
    .where(and(eq(channels.organizationId, organizationId), page.after ? lt(channels.id, page.after) : undefined))
    .orderBy(desc(channels.id))
    .limit(page.limit + 1);
}

/** Connects a channel: its credentials validated by the provider's adapter and stored sealed. */
export async function createChannel(db: Executor, env: Env, organizationId: string, input: NewChannel) {
  const config = validConfig(input.type, input.config);
  await assertQueue(db, organizationId, input.queueId);
  // The id is chosen here because it is bound into the sealed credentials.
  const id = uuidv7();
  const [row] = await db
    .insert(channels)
    .values({
      id,
      organizationId,
      type: input.type,
      name: input.name,
      credentials: await sealCredentials(env, id, config),
      webhookSecret: await sealWebhookSecret(env, id, randomToken(24)),
      queueId: input.queueId ?? null,
      settings: channelSettings.parse(input.settings ?? {}),
      active: input.active,
    })
    .returning();
  if (!row) throw new Error("channel insert returned nothing");
  return row;
}

/** Applies a change; `config` is merged into the stored credentials (an empty string removes a field). */
export async function updateChannel(db: Executor, env: Env, organizationId: string, id: string, input: ChannelChanges) {
  const row = await getChannel(db, organizationId, id);
  await assertQueue(db, organizationId, input.queueId);
  // updatedAt always: a PATCH that changes nothing is a no-op answered 200, not an empty SET.
  const changes: Partial<ChannelRow> = { updatedAt: new Date() };
  if (input.name !== undefined) changes.name = input.name;
  if (input.queueId !== undefined) changes.queueId = input.queueId;
  if (input.active !== undefined) changes.active = input.active;
  if (input.settings) changes.settings = { ...readSettings(row.settings), ...input.settings };
  if (input.config) {
    const merged = Object.fromEntries(
      Object.entries({ ...(await openCredentials(env, row)), ...input.config }).filter(([, v]) => v !== ""),
    );
    changes.credentials = await sealCredentials(env, row.id, validConfig(row.type, merged));
  }
  const [updated] = await db.update(channels).set(changes).where(eq(channels.id, row.id)).returning();
  if (!updated) throw new ApiError("NOT_FOUND", "No such channel in this organization.");
  forgetChannel(row.id);
  return updated;
}

export async function deleteChannel(db: Executor, organizationId: string, id: string): Promise<void> {
  const row = await getChannel(db, organizationId, id);
  await db.delete(channels).where(eq(channels.id, row.id));
  forgetChannel(row.id);
}
