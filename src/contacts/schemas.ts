import { z } from "@hono/zod-openapi";
import type { contacts } from "@/db/schema";
import type { PiiView } from "@/pii/policy";
import { timestamp } from "@/platform/openapi";
import { normalizePhone } from "@/platform/phone";

export const phone = z
  .string()
  .max(40)
  .transform((value, ctx) => {
    const e164 = normalizePhone(value);
    if (e164) return e164;
    ctx.addIssue({ code: "custom", message: "must be a valid phone number, e.g. +5511987654321" });
    return z.NEVER;
  })
  .openapi({ description: "Any common format; stored as E.164.", example: "+5511987654321" });

export const contactName = z.string().trim().min(1).max(200).openapi({ example: "Maria Souza" });

export const contactEmail = z
  .email()
  .max(254)
  .transform((v) => v.trim().toLowerCase())
  .openapi({ example: "maria@example.com" });

export const metadata = z
  .record(z.string().max(100), z.unknown())
  .refine((v) => JSON.stringify(v).length <= 16_384, "must be at most 16 KB of JSON")
  .openapi({ description: "Free-form attributes (CRM ids, plan, city). Replaced as a whole on update." });

export const contactSchema = z
  .object({
    id: z.string(),
    phone: z.string().nullable(),
    phoneVerified: z.boolean().openapi({
      description: "False when the provider's number did not parse as valid E.164 and is kept as given.",
    }),
    name: z.string().nullable(),
    email: z.string().nullable(),
    optOut: z.boolean(),
    optOutAt: timestamp.nullable(),
    metadata: z.record(z.string(), z.unknown()),
    mergedIntoId: z
      .string()
      .nullable()
      .openapi({ description: "Set when this contact was merged into another; edit that one instead." }),
    lastInboundAt: timestamp.nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .openapi("Contact");

export const contactDetailSchema = contactSchema
  .extend({
    identities: z.array(z.object({ kind: z.string(), externalId: z.string() })),
    ticketCounts: z.object({
      total: z.number().int(),
      open: z.number().int(),
      pending: z.number().int(),
      resolved: z.number().int(),
      closed: z.number().int(),
    }),
  })
  .openapi("ContactDetail");

export type TicketCounts = z.infer<typeof contactDetailSchema>["ticketCounts"];

export type ContactRow = typeof contacts.$inferSelect;

/** `pii`: masked or in full, as src/pii/policy.ts decides for the caller and the response. */
export function presentContact(row: ContactRow, pii: PiiView): z.infer<typeof contactSchema> {
  return {
    id: row.id,
    phone: pii.phone(row.phone),
    phoneVerified: row.phoneVerified,
    name: row.name,
    email: pii.email(row.email),
    optOut: row.optOut,
    optOutAt: row.optOutAt?.toISOString() ?? null,
    metadata: row.metadata,
    mergedIntoId: row.mergedIntoId,
    lastInboundAt: row.lastInboundAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function presentContactDetail(
  detail: {
    contact: ContactRow;
    identities: { kind: string; externalId: string }[];
    ticketCounts: TicketCounts;
  },
  pii: PiiView,
): z.infer<typeof contactDetailSchema> {
  return {
    ...presentContact(detail.contact, pii),
    // A Telegram user id or an e-mail thread names the person as much as a phone does.
    identities: detail.identities.map((i) => ({ kind: i.kind, externalId: pii.deep(i.externalId) })),
    ticketCounts: detail.ticketCounts,
  };
}
