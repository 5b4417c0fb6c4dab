import { and, eq, type SQL } from "drizzle-orm";
import { cachedChannel } from "@/channels/cache";
import { type ChannelRow, openCredentials } from "@/channels/secrets";
import { type ChannelSettings, readSettings } from "@/channels/settings";
import { type ChannelAdapter, type InboundEvent, MalformedPayloadError, type WebhookRequest } from "@/channels/types";
import { channels, organizations, webhookEvents } from "@/db/schema";
import { type Delivery, type IngestChannel, type IngestResult, ingest } from "@/inbox/ingest";
import { deliveryRow } from "@/inbox/rows";
import { hasEventsWebhook } from "@/notify/settings";
import { sha256Hex } from "@/platform/crypto";
import type { Database } from "@/platform/db";
import type { Services } from "@/platform/services";
import { cleanDeep, cleanText } from "@/platform/text";

/**
 * The channel a webhook or a replay names, and whether its organization has an events webhook
 * (inbound messages and new tickets are then notified).
 */
export async function findIngestChannel(db: Database, where: SQL | undefined) {
  const [found] = await db
    .select({ row: channels, orgSettings: organizations.settings })
    .from(channels)
    .innerJoin(organizations, eq(organizations.id, channels.organizationId))
    .where(where);
  return found ? { row: found.row, notify: hasEventsWebhook(found.orgSettings) } : undefined;
}

/** A webhook's channel, its credentials opened and read by the channel type's schema (null: they no longer fit it). */
export type WebhookChannel<C, X> = { row: ChannelRow; notify: boolean } & (
  | ({ ok: true; config: C } & X)
  | { ok: false }
);

/**
 * The channel of a webhook (messaging, voice), by type and id, with its credentials opened and
 * checked against the type's schema, cached per isolate (channels/cache.ts). `extra` opens
 * anything else the webhook needs on every request (a webhook secret), so the cache keeps it too;
 * it is not called for credentials that no longer fit.
 * Undefined for an unknown channel; `ok: false` (logged) for stored credentials that no longer fit.
 */
export function loadWebhookChannel<C, X extends object = object>(
  services: Pick<Services, "db" | "env" | "log">,
  type: ChannelRow["type"],
  id: string,
  schema: { safeParse(value: unknown): { success: true; data: C } | { success: false } },
  extra: (row: ChannelRow) => Promise<X> = async () => ({}) as X,
): Promise<WebhookChannel<C, X> | undefined> {
  const { db, env, log } = services;
  return cachedChannel<WebhookChannel<C, X>>(`${type}:${id}`, async () => {
    const found = await findIngestChannel(db, and(eq(channels.id, id), eq(channels.type, type)));
    if (!found) return undefined;
    const config = schema.safeParse(await openCredentials(env, found.row));
    if (!config.success) {
      log.error("stored channel credentials do not match the channel type's schema", { channelId: id, type });
      return { ...found, ok: false };
    }
    return { ...found, ok: true, config: config.data, ...(await extra(found.row)) };
  });
}

export function ingestChannel(
  provider: string,
  row: ChannelRow,
  notify: boolean,
  settings: ChannelSettings = readSettings(row.settings),
): IngestChannel {
  return {
    id: row.id,
    organizationId: row.organizationId,
    provider,
    queueId: row.queueId,
    reopenWindowHours: settings.reopenWindowHours,
    notify,
  };
}

/** The body as a JSON value for interaction_events: JSON as parsed, a form as its fields. */
function rawValue(rawBody: string): unknown {
  try {
    return JSON.parse(rawBody);
  } catch {
    return Object.fromEntries(new URLSearchParams(rawBody));
  }
}

export type Processed = { kind: "malformed"; message: string } | { kind: "ingested"; result: IngestResult };

/**
 * A verified body, parsed and ingested: the path every webhook and every replay takes. What the
 * database keeps is cleaned here, for every provider at once; the exact bytes stay in
 * webhook_events. A body that fails to ingest is recorded as failed (outside the rolled-back
 * transaction) and the error rethrown, so the provider retries and an admin can see it.
 */
export async function processBody<C extends Record<string, string>>(
  services: Services,
  adapter: ChannelAdapter<C>,
  channel: { row: ChannelRow; config: C; notify: boolean },
  request: WebhookRequest,
  delivery: Delivery,
): Promise<Processed> {
  const settings = readSettings(channel.row.settings);
  const target = ingestChannel(adapter.provider, channel.row, channel.notify, settings);
  let events: ReturnType<typeof adapter.parse>;
  try {
    events = adapter.parse(request, channel.config, settings);
  } catch (error) {
    if (error instanceof MalformedPayloadError) return { kind: "malformed", message: cleanText(error.message) };
    throw error;
  }
  try {
    const cleaned = await Promise.all(cleanDeep(events).map(boundKeys));
    const result = await ingest(services, target, cleaned, cleanDeep(rawValue(request.rawBody)), delivery);
    return { kind: "ingested", result };
  } catch (error) {
    await recordFailure(services, target, delivery, error);
    throw error;
  }
}

const MAX_KEY_LENGTH = 200;
const bound = async (key: string) => (key.length > MAX_KEY_LENGTH ? `sha256:${await sha256Hex(key)}` : key);

/** Ids the provider chose are unique-indexed: one too long for a B-tree entry would fail the insert. */
async function boundKeys(event: InboundEvent): Promise<InboundEvent> {
  if (event.kind === "ignored") return event;
  return {
    ...event,
    idempotencyKey: await bound(event.idempotencyKey),
    providerMessageId: await bound(event.providerMessageId),
  };
}

async function recordFailure(services: Services, channel: IngestChannel, delivery: Delivery, error: unknown) {
  const reason = cleanText(error instanceof Error ? error.message : String(error)).slice(0, 1000);
  const outcome = { status: "failed" as const, reason, result: {} };
  try {
    if (delivery.replay) {
      await services.db.update(webhookEvents).set(outcome).where(eq(webhookEvents.id, delivery.id));
    } else {
      // A body whose statement committed before the connection broke already has its row.
      await services.db
        .insert(webhookEvents)
        .values(deliveryRow(channel, delivery, outcome))
        .onConflictDoNothing();
    }
  } catch (recordError) {
    services.log.error("could not record a failed webhook body", { deliveryId: delivery.id, error: recordError });
  }
}

/** A verified body for an inactive channel: kept, so it can be replayed once the channel is back. */
export async function recordIgnored(
  services: Services,
  channel: IngestChannel,
  delivery: Delivery,
  reason: string,
): Promise<void> {
  await services.db
    .insert(webhookEvents)
    .values(deliveryRow(channel, delivery, { status: "ignored", reason, result: {} }));
}
