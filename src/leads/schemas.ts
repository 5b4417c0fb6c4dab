import { z } from "@hono/zod-openapi";
import {
  leadStatuses,
  type leads,
  type leadTemperatureChanges,
  leadTemperatures,
  quoteStatuses,
  type quotes,
  technicalQuestionStatuses,
  type technicalQuestions,
} from "@/db/schema";
import type { PiiView } from "@/pii/policy";
import { timestamp } from "@/platform/openapi";

type LeadRow = typeof leads.$inferSelect;
type QuoteRow = typeof quotes.$inferSelect;
type QuestionRow = typeof technicalQuestions.$inferSelect;
type TemperatureRow = typeof leadTemperatureChanges.$inferSelect;

const text = z.string().nullable();

export const leadSchema = z
  .object({
    id: z.uuid(),
    contactId: z.uuid(),
    ticketId: z.uuid().nullable().openapi({ description: "The ticket the lead was last qualified on." }),
    name: text,
    company: text,
    companyId: z.uuid().nullable(),
    email: text,
    interest: text,
    quantity: text,
    urgency: text,
    temperature: z.enum(leadTemperatures).nullable(),
    status: z.enum(leadStatuses),
    score: z.number().int().nullable().openapi({ description: "0-100: the temperature's base and 5 per known field." }),
    source: text,
    hotAt: timestamp.nullable(),
    qualifiedAt: timestamp.nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .openapi("Lead");

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** `pii`: the e-mail masked or in full, as src/pii/policy.ts decides. */
export function presentLead(row: LeadRow, pii: PiiView): z.infer<typeof leadSchema> {
  return {
    id: row.id,
    contactId: row.contactId,
    ticketId: row.ticketId,
    name: row.name,
    company: row.company,
    companyId: row.companyId,
    email: pii.email(row.email),
    interest: row.interest,
    quantity: row.quantity,
    urgency: row.urgency,
    temperature: row.temperature,
    status: row.status,
    score: row.score,
    source: row.source,
    hotAt: iso(row.hotAt),
    qualifiedAt: iso(row.qualifiedAt),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export const temperatureChangeSchema = z
  .object({
    from: z.enum(leadTemperatures).nullable(),
    to: z.enum(leadTemperatures).nullable(),
    ticketId: z.uuid().nullable(),
    actorType: z.string(),
    actorId: z.uuid().nullable(),
    at: timestamp,
  })
  .openapi("LeadTemperatureChange");

export const presentTemperatureChange = (row: TemperatureRow): z.infer<typeof temperatureChangeSchema> => ({
  from: row.from,
  to: row.to,
  ticketId: row.ticketId,
  actorType: row.actorType,
  actorId: row.actorId,
  at: row.at.toISOString(),
});

export const leadDetailSchema = leadSchema
  .extend({ temperatureHistory: z.array(temperatureChangeSchema).openapi({ description: "Oldest first." }) })
  .openapi("LeadDetail");

const bounded = z.string().trim().min(1).max(500);

export const leadPatch = z
  .object({
    status: z.enum(leadStatuses),
    temperature: z.enum(leadTemperatures).nullable(),
    name: bounded.nullable(),
    company: bounded.nullable(),
    email: z.email().max(320).nullable(),
    interest: bounded.nullable(),
    quantity: bounded.nullable(),
    urgency: bounded.nullable(),
  })
  .partial()
  .refine((v) => Object.keys(v).length > 0, "send at least one field");

const quoteItem = z.object({
  description: z.string().trim().min(1).max(500),
  quantity: z.string().trim().max(100).nullable().default(null),
  unitPrice: z
    .string()
    .regex(/^\d{1,12}(\.\d{1,2})?$/, "a decimal amount like 1250.00")
    .nullable()
    .default(null),
});

export const quoteBody = z.object({
  items: z.array(quoteItem).min(1).max(100),
  amount: z
    .string()
    .regex(/^\d{1,12}(\.\d{1,2})?$/, "a decimal amount like 1250.00")
    .optional(),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, "an ISO 4217 code like BRL")
    .default("BRL"),
  status: z.enum(quoteStatuses).default("draft"),
  ticketId: z.uuid().optional(),
});

export const quoteSchema = z
  .object({
    id: z.uuid(),
    leadId: z.uuid(),
    ticketId: z.uuid().nullable(),
    source: z
      .enum(["ai", "api"])
      .openapi({ description: "ai: drafted by the bot from the lead's interest and quantity." }),
    items: z.array(
      z.object({ description: z.string(), quantity: z.string().nullable(), unitPrice: z.string().nullable() }),
    ),
    quantity: text,
    amount: z.string().nullable().openapi({ example: "1250.00" }),
    currency: z.string(),
    status: z.enum(quoteStatuses),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .openapi("Quote");

export const presentQuote = (row: QuoteRow): z.infer<typeof quoteSchema> => ({
  id: row.id,
  leadId: row.leadId,
  ticketId: row.ticketId,
  source: row.source,
  items: row.items,
  quantity: row.quantity,
  amount: row.amount,
  currency: row.currency,
  status: row.status,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

export const technicalQuestionSchema = z
  .object({
    id: z.uuid(),
    question: z.string(),
    status: z.enum(technicalQuestionStatuses),
    answer: text,
    answeredBy: z.uuid().nullable(),
    answeredAt: timestamp.nullable(),
    leadId: z.uuid().nullable(),
    ticketId: z.uuid().nullable(),
    contactId: z.uuid().nullable(),
    createdAt: timestamp,
  })
  .openapi("TechnicalQuestion");

export const presentQuestion = (row: QuestionRow): z.infer<typeof technicalQuestionSchema> => ({
  id: row.id,
  question: row.question,
  status: row.status,
  answer: row.answer,
  answeredBy: row.answeredBy,
  answeredAt: iso(row.answeredAt),
  leadId: row.leadId,
  ticketId: row.ticketId,
  contactId: row.contactId,
  createdAt: row.createdAt.toISOString(),
});
