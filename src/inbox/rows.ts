// The rows an inbound webhook writes, built once for both ingest paths (the transaction in
// ingest.ts and the single statements: fast-path.ts, new-conversation.ts, status-fast-path.ts).
// Ids of rows a single statement only knows inside it (the ticket, the contact) may be SQL.
import { type SQL, sql } from "drizzle-orm";
import type { PgInsertValue } from "drizzle-orm/pg-core";
import type { InboundMessageEvent, StatusEvent } from "@/channels/types";
import { insertSelect } from "@/db/insert-select";
import { interactionEvents, type messages, type WebhookEventStatus, type webhookEvents } from "@/db/schema";
import type { StatusUpdate } from "@/messages/statuses";
import type { Delivery, IngestChannel, IngestResult } from "./types";

/** What a status event says of its message: the event's normalized form, and what applyStatus takes. */
export function statusUpdate(event: StatusEvent): StatusUpdate {
  return { status: event.status, timestamp: event.timestamp.toISOString(), error: event.error };
}

/**
 * The `event` CTE of the single statements: the event's row inserted once per provider key, so a
 * redelivery inserts nothing and the CTE is empty (which the statements read as a duplicate).
 */
export function eventInsert(row: PgInsertValue<typeof interactionEvents>, where: SQL): SQL {
  return sql`${insertSelect(interactionEvents, row, where)}
      on conflict (provider, idempotency_key) do nothing
      returning id`;
}

export function interactionEventRow(
  channel: IngestChannel,
  event: InboundMessageEvent | StatusEvent,
  raw: unknown,
): PgInsertValue<typeof interactionEvents> {
  const normalized: Record<string, unknown> =
    event.kind === "status" ? statusUpdate(event) : { type: event.type, providerMessageId: event.providerMessageId };
  return {
    organizationId: channel.organizationId,
    channelId: channel.id,
    provider: channel.provider,
    eventType: event.kind === "status" ? `status.${event.status}` : `message.${event.type}`,
    idempotencyKey: event.idempotencyKey,
    payload: raw,
    normalized,
    reference: event.kind === "status" ? event.providerMessageId : null,
    // A message is fully handled by its transaction (or the whole thing rolls back); a status may
    // find no message yet and stay unprocessed for the send job.
    processedAt: event.kind === "message" ? new Date() : null,
  };
}

export function inboundMessageRow(
  channel: IngestChannel,
  event: InboundMessageEvent,
  ticketId: string | SQL,
  contactId: string | SQL,
): PgInsertValue<typeof messages> {
  return {
    organizationId: channel.organizationId,
    ticketId,
    channelId: channel.id,
    contactId,
    direction: "inbound",
    type: event.type,
    body: event.text ?? null,
    media: event.media ?? null,
    content: event.content ?? null,
    providerMessageId: event.providerMessageId,
    status: "received",
    senderType: "contact",
    createdAt: event.timestamp,
  };
}

export type DeliveryOutcome = { status: WebhookEventStatus; reason: string | null; result: Record<string, unknown> };

/** What became of a body: stored if anything was, a duplicate if all of it was, else ignored and why. */
export function deliveryOutcome(result: IngestResult, ignoredReasons: string[]): DeliveryOutcome {
  const status: WebhookEventStatus =
    result.messages + result.statuses > 0 ? "stored" : result.duplicates > 0 ? "duplicate" : "ignored";
  const reason = status === "ignored" ? ignoredReasons.join("; ") || "no events in the body" : null;
  return { status, reason, result: { ...result, ...(ignoredReasons.length ? { ignoredReasons } : {}) } };
}

export function deliveryRow(
  channel: IngestChannel,
  delivery: Delivery,
  outcome: { status: WebhookEventStatus | SQL; reason: string | null; result: Record<string, unknown> | SQL },
): PgInsertValue<typeof webhookEvents> {
  return {
    id: delivery.id,
    organizationId: channel.organizationId,
    channelId: channel.id,
    provider: channel.provider,
    route: delivery.route,
    contentType: delivery.contentType,
    body: delivery.body,
    status: outcome.status,
    reason: outcome.reason,
    result: outcome.result,
  };
}
