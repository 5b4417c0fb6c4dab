import { z } from "@hono/zod-openapi";
import { insightsSchema } from "@/ai/insights/store";
import { phone } from "@/contacts/schemas";
import {
  type contacts,
  type messages,
  type ticketHistory,
  ticketHistoryActions,
  ticketPriorities,
  ticketStatuses,
  type tickets,
  transcriptStatuses,
} from "@/db/schema";
import type { PiiView } from "@/pii/policy";
import { timestamp } from "@/platform/openapi";
import { ticketSlaSchema } from "@/sla/schemas";
import { activeStatuses } from "./active";

export const contactRef = z.object({ id: z.string(), phone: z.string().nullable(), name: z.string().nullable() });

export const ticketSchema = z
  .object({
    id: z.string(),
    number: z.number().int(),
    status: z.enum(ticketStatuses),
    priority: z.enum(ticketPriorities),
    subject: z.string().nullable(),
    channelId: z.string().nullable(),
    queueId: z.string().nullable(),
    assigneeId: z.string().nullable(),
    contact: contactRef,
    tags: z.array(z.string()),
    unreadCount: z.number().int(),
    firstResponseDueAt: timestamp.nullable(),
    resolutionDueAt: timestamp.nullable(),
    firstResponseAt: timestamp.nullable(),
    resolvedAt: timestamp.nullable(),
    closedAt: timestamp.nullable(),
    lastMessageAt: timestamp.nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .openapi("Ticket");

export const messageSchema = z
  .object({
    id: z.string(),
    ticketId: z.string(),
    channelId: z.string().nullable(),
    direction: z.enum(["inbound", "outbound"]),
    type: z.string(),
    text: z.string().nullable(),
    media: z
      .object({
        url: z.string().optional(),
        providerMediaId: z.string().optional(),
        mimeType: z.string().optional(),
        caption: z.string().optional(),
        filename: z.string().optional(),
        durationSeconds: z.number().optional(),
      })
      .nullable(),
    content: z.record(z.string(), z.unknown()).nullable(),
    transcript: z.string().nullable().openapi({ description: "What an inbound voice note says (transcribed)." }),
    transcriptStatus: z
      .enum(transcriptStatuses)
      .nullable()
      .openapi({ description: "An audio message's transcription: pending, done, or why there is none." }),
    status: z.string().openapi({ description: "received | queued | sent | delivered | read | failed | simulated" }),
    providerMessageId: z.string().nullable(),
    error: z.object({ code: z.string().optional(), message: z.string() }).nullable(),
    senderType: z.string(),
    senderId: z.string().nullable(),
    createdAt: timestamp,
    sentAt: timestamp.nullable(),
    deliveredAt: timestamp.nullable(),
    readAt: timestamp.nullable(),
  })
  .openapi("Message");

export const historySchema = z.object({
  id: z.string(),
  action: z.string().openapi({ description: ticketHistoryActions.join(" | ") }),
  actorType: z.string(),
  actorId: z.string().nullable(),
  changes: z.record(z.string(), z.object({ before: z.unknown(), after: z.unknown() })),
  createdAt: timestamp,
});

export const ticketDetailSchema = ticketSchema
  .extend({
    lastMessages: z.array(messageSchema),
    history: z.array(historySchema),
    insights: insightsSchema
      .nullable()
      .openapi({ description: "Sentiment, intent, category, urgency and churn risk; null until computed." }),
    sla: ticketSlaSchema,
  })
  .openapi("TicketDetail");

export const newTicket = z
  .object({
    channelId: z.uuid(),
    contactId: z.uuid().optional(),
    phone: phone.optional().openapi({ type: "string", description: "Creates the contact if it does not exist." }),
    name: z.string().max(200).optional(),
    subject: z.string().max(300).optional(),
    priority: z.enum(ticketPriorities).optional(),
    queueId: z.uuid().optional(),
  })
  .refine((v) => v.contactId || v.phone, "send contactId or phone");
export type NewTicket = z.infer<typeof newTicket>;

export const ticketChanges = z
  .object({
    priority: z.enum(ticketPriorities),
    subject: z.string().max(300).nullable(),
    tags: z.array(z.string().min(1).max(100)).max(50),
    status: z.enum(activeStatuses),
  })
  .partial()
  .refine((v) => Object.keys(v).length > 0, "send at least one field");
export type TicketChanges = z.infer<typeof ticketChanges>;

export type TicketRow = typeof tickets.$inferSelect;
export type MessageRow = typeof messages.$inferSelect;
type ContactRow = Pick<typeof contacts.$inferSelect, "id" | "phone" | "name">;
type HistoryRow = typeof ticketHistory.$inferSelect;

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** `pii`: the contact's phone masked or in full, as src/pii/policy.ts decides. */
export function presentTicket(
  t: TicketRow,
  contact: ContactRow,
  tags: string[],
  pii: PiiView,
): z.infer<typeof ticketSchema> {
  return {
    id: t.id,
    number: t.number,
    status: t.status,
    priority: t.priority,
    subject: t.subject,
    channelId: t.channelId,
    queueId: t.queueId,
    assigneeId: t.assigneeId,
    contact: { id: contact.id, phone: pii.phone(contact.phone), name: contact.name },
    tags,
    unreadCount: t.unreadCount,
    firstResponseDueAt: iso(t.firstResponseDueAt),
    resolutionDueAt: iso(t.resolutionDueAt),
    firstResponseAt: iso(t.firstResponseAt),
    resolvedAt: iso(t.resolvedAt),
    closedAt: iso(t.closedAt),
    lastMessageAt: iso(t.lastMessageAt),
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
  };
}

/** `pii` masks the phones and e-mails of a contact card the customer shared (type `contact`). */
export function presentMessage(m: MessageRow, pii: PiiView): z.infer<typeof messageSchema> {
  const { voice: _voice, ...media } = m.media ?? {};
  return {
    id: m.id,
    ticketId: m.ticketId,
    channelId: m.channelId,
    direction: m.direction,
    type: m.type,
    text: m.body,
    media: m.media ? media : null,
    content: (m.type === "contact" ? pii.deep(m.content) : m.content) ?? null,
    transcript: m.transcript ?? null,
    transcriptStatus: m.transcriptStatus ?? null,
    status: m.status,
    providerMessageId: m.providerMessageId,
    error: m.error ?? null,
    senderType: m.senderType,
    senderId: m.senderId,
    createdAt: m.createdAt.toISOString(),
    sentAt: iso(m.sentAt),
    deliveredAt: iso(m.deliveredAt),
    readAt: iso(m.readAt),
  };
}

export function presentHistory(h: HistoryRow): z.infer<typeof historySchema> {
  return {
    id: h.id,
    action: h.action,
    actorType: h.actorType,
    actorId: h.actorId,
    changes: h.changes,
    createdAt: h.createdAt.toISOString(),
  };
}
