import { and, desc, eq, lt } from "drizzle-orm";
import { adapters, type ConfigOf, isChannelType } from "@/channels/registry";
import type { ChannelRow } from "@/channels/secrets";
import { openCredentials } from "@/channels/secrets";
import type { ChannelAdapter, ChannelType } from "@/channels/types";
import { channels, type WebhookEventStatus, webhookEvents } from "@/db/schema";
import type { Database } from "@/platform/db";
import { ApiError } from "@/platform/errors";
import type { Services } from "@/platform/services";
import { findIngestChannel, processBody } from "@/webhooks/process";

export type WebhookEventRow = typeof webhookEvents.$inferSelect;

export async function listWebhookEvents(
  db: Database,
  organizationId: string,
  filter: { status?: WebhookEventStatus; channelId?: string; before?: string; limit: number },
): Promise<WebhookEventRow[]> {
  return db
    .select()
    .from(webhookEvents)
    .where(
      and(
        eq(webhookEvents.organizationId, organizationId),
        filter.status ? eq(webhookEvents.status, filter.status) : undefined,
        filter.channelId ? eq(webhookEvents.channelId, filter.channelId) : undefined,
        filter.before ? lt(webhookEvents.id, filter.before) : undefined,
      ),
    )
    .orderBy(desc(webhookEvents.id))
    .limit(filter.limit);
}

export async function getWebhookEvent(db: Database, organizationId: string, id: string): Promise<WebhookEventRow> {
  const [row] = await db
    .select()
    .from(webhookEvents)
    .where(and(eq(webhookEvents.organizationId, organizationId), eq(webhookEvents.id, id)));
  if (!row) throw new ApiError("NOT_FOUND", "No such webhook event in this organization.");
  return row;
}

/**
 * Runs a kept body through today's parser and ingest again, as if the provider had redelivered
 * it: its signature was checked when it arrived. Idempotency keys make a replay of a stored body a
 * duplicate; the row records the new outcome.
 */
export async function replayWebhookEvent(services: Services, organizationId: string, id: string) {
  const { db, env } = services;
  const event = await getWebhookEvent(db, organizationId, id);
  const found = event.channelId
    ? await findIngestChannel(db, and(eq(channels.id, event.channelId), eq(channels.organizationId, organizationId)))
    : undefined;
  if (!found) throw new ApiError("CONFLICT", "The webhook event's channel no longer exists.");
  if (!found.row.active) throw new ApiError("CONFLICT", "The channel is inactive; activate it before replaying.");
  const type = found.row.type;
  if (!isChannelType(type)) throw new ApiError("CONFLICT", `A ${type} channel's webhooks are not replayed.`);
  const credentials = await openCredentials(env, found.row).catch(() => undefined);
  const processed = await reprocess(services, type, found, credentials, event);
  if (processed.kind === "malformed") {
    throw new ApiError("UNPROCESSABLE", `The body is still not a ${event.provider} webhook: ${processed.message}`);
  }
  return getWebhookEvent(db, organizationId, id);
}

/** The kept body through its channel's adapter, typed per channel type so config and adapter agree. */
async function reprocess<T extends ChannelType>(
  services: Services,
  type: T,
  channel: { row: ChannelRow; notify: boolean },
  credentials: unknown,
  event: WebhookEventRow,
) {
  const adapter: ChannelAdapter<ConfigOf<T>> = adapters[type];
  const config = adapter.configSchema.safeParse(credentials);
  if (!config.success) throw new ApiError("CONFLICT", "The channel's stored configuration is invalid.");
  const path = `/webhooks/${adapter.provider}/${channel.row.id}${event.route ? `/${event.route}` : ""}`;
  return processBody(
    services,
    adapter,
    { ...channel, config: config.data },
    {
      channelId: channel.row.id,
      method: "POST",
      url: `${services.env.PUBLIC_URL}${path}`,
      headers: new Headers(event.contentType ? { "content-type": event.contentType } : {}),
      rawBody: new TextDecoder().decode(event.body),
      route: event.route ?? undefined,
    },
    { id: event.id, route: event.route, contentType: event.contentType, body: event.body, replay: true },
  );
}
