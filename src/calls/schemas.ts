import { z } from "@hono/zod-openapi";
import type { callPlacements, contacts } from "@/db/schema";
import type { PiiView } from "@/pii/policy";
import { timestamp } from "@/platform/openapi";
import { type CallRow, callStatuses } from "@/voice/calls";
import { isPlaceholder } from "@/voice/place/link";

/** A date (YYYY-MM-DD, UTC) or an instant (ISO 8601 with offset). */
export const instant = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()])
  .openapi({ example: "2026-12-01", description: "A date (UTC) or an ISO 8601 instant." });

const isDate = (value: string) => /^\d{4}-\d{2}-\d{2}$/.test(value);

/**
 * `from` inclusive; `to` exclusive as an instant, inclusive as a date (to=2026-12-01 takes all of
 * the 1st, up to 2026-12-02T00:00Z).
 */
export function dateRange(from?: string, to?: string): { from?: Date; to?: Date } {
  const end = to ? new Date(isDate(to) ? `${to}T00:00:00Z` : to) : undefined;
  if (end && to && isDate(to)) end.setUTCDate(end.getUTCDate() + 1);
  return { from: from ? new Date(isDate(from) ? `${from}T00:00:00Z` : from) : undefined, to: end };
}

const turn = z.object({ role: z.string(), text: z.string(), atSeconds: z.number().optional() });

export const callSchema = z
  .object({
    id: z.string(),
    direction: z.enum(["inbound", "outbound"]),
    status: z
      .enum(callStatuses)
      .openapi({ description: "Moves only forward: queued, ringing, in-progress, then one final status." }),
    provider: z.string().openapi({ example: "twilio" }),
    providerCallId: z
      .string()
      .nullable()
      .openapi({ description: "Twilio's CallSid, Retell's call_id, ...; null until the provider has named the call." }),
    channelId: z.string().nullable(),
    contact: z.object({ id: z.string(), name: z.string().nullable(), phone: z.string().nullable() }).nullable(),
    fromNumber: z.string().nullable(),
    toNumber: z.string().nullable(),
    callerId: z.string().nullable().openapi({ description: "The number an outbound call was placed from." }),
    agentId: z.string().nullable().openapi({ description: "The user who took or placed the call." }),
    providerAgentId: z
      .string()
      .nullable()
      .openapi({ description: "The voice agent (Retell, ElevenLabs) on the call." }),
    queueId: z.string().nullable(),
    ticketId: z.string().nullable(),
    startedAt: timestamp.nullable(),
    answeredAt: timestamp.nullable(),
    endedAt: timestamp.nullable(),
    durationSeconds: z.number().int().nullable(),
    waitSeconds: z.number().int().nullable(),
    recording: z
      .object({
        url: z.string().nullable(),
        sid: z.string().nullable(),
        durationSeconds: z.number().int().nullable(),
        channels: z.number().int().nullable(),
        status: z.string().nullable(),
      })
      .nullable(),
    summary: z.string().nullable(),
    sentiment: z.string().nullable(),
    successful: z.boolean().nullable(),
    disconnectionReason: z.string().nullable(),
    simulated: z.boolean().openapi({ description: "Recorded in sandbox mode (SANDBOX=true) and never dialed." }),
    metadata: z.record(z.string(), z.unknown()),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .openapi("Call");

export const callDetailSchema = callSchema
  .extend({
    transcript: z.string().nullable(),
    transcriptTurns: z.array(turn).nullable(),
    analysis: z.record(z.string(), z.unknown()).nullable(),
    placement: z
      .object({
        record: z.boolean(),
        machineDetection: z.boolean(),
        requestedBy: z.object({ type: z.enum(["user", "api_key"]), id: z.string() }),
        attemptedAt: timestamp.nullable(),
        placedAt: timestamp.nullable(),
        error: z.object({ code: z.string().optional(), message: z.string() }).nullable(),
      })
      .nullable()
      .openapi({
        description: "How an outbound call was asked for and placed; null for calls not placed through the API.",
      }),
    events: z.array(
      z.object({
        id: z.string(),
        kind: z.string().openapi({ example: "status.ringing" }),
        payload: z.record(z.string(), z.unknown()),
        occurredAt: timestamp,
      }),
    ),
  })
  .openapi("CallDetail");

export type CallListRow = {
  call: CallRow;
  contact: Pick<typeof contacts.$inferSelect, "id" | "name" | "phone"> | null;
  simulated: boolean | null;
};

const iso = (date: Date | null) => date?.toISOString() ?? null;

/** A call through the caller's view of personal data (src/pii/policy.ts): phones, and text that may hold them. */
export function presentCall(row: CallListRow, pii: PiiView): z.infer<typeof callSchema> {
  const { call: c, contact } = row;
  const phone = pii.phone;
  const recorded = c.recordingUrl ?? c.recordingSid;
  return {
    id: c.id,
    direction: c.direction,
    status: c.status as z.infer<typeof callSchema>["status"],
    provider: c.provider,
    providerCallId: isPlaceholder(c.providerCallId) ? null : c.providerCallId,
    channelId: c.channelId,
    contact: contact ? { id: contact.id, name: contact.name, phone: phone(contact.phone) } : null,
    fromNumber: phone(c.fromNumber),
    toNumber: phone(c.toNumber),
    callerId: phone(c.callerId),
    agentId: c.agentId,
    providerAgentId: c.providerAgentId,
    queueId: c.queueId,
    ticketId: c.ticketId,
    startedAt: iso(c.startedAt),
    answeredAt: iso(c.answeredAt),
    endedAt: iso(c.endedAt),
    durationSeconds: c.durationSeconds,
    waitSeconds: c.waitSeconds,
    recording: recorded
      ? {
          url: c.recordingUrl,
          sid: c.recordingSid,
          durationSeconds: c.recordingDurationSeconds,
          channels: c.recordingChannels,
          status: c.recordingStatus,
        }
      : null,
    summary: pii.deep(c.summary),
    sentiment: c.sentiment,
    successful: c.successful,
    disconnectionReason: c.disconnectionReason,
    simulated: row.simulated ?? false,
    metadata: pii.deep(c.metadata),
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

type PlacementRow = typeof callPlacements.$inferSelect;
type EventRow = { id: string; kind: string; payload: Record<string, unknown>; occurredAt: Date };

/** The whole call, through the view of one resource (in full for admins, supervisors and its agent). */
export function presentCallDetail(
  row: CallListRow & { placement: PlacementRow | null; events: EventRow[] },
  pii: PiiView,
): z.infer<typeof callDetailSchema> {
  const { call: c, placement: p } = row;
  return {
    ...presentCall(row, pii),
    transcript: pii.deep(c.transcript),
    transcriptTurns: pii.deep(c.transcriptTurns),
    analysis: pii.deep(c.analysis),
    placement: p
      ? {
          record: p.record,
          machineDetection: p.machineDetection,
          requestedBy: { type: p.requestedByType, id: p.requestedById },
          attemptedAt: iso(p.attemptedAt),
          placedAt: iso(p.placedAt),
          error: p.error,
        }
      : null,
    events: row.events.map((e) => ({
      id: e.id,
      kind: e.kind,
      payload: e.payload,
      occurredAt: e.occurredAt.toISOString(),
    })),
  };
}
