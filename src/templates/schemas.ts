import { z } from "@hono/zod-openapi";
import type { templates } from "@/db/schema";
import { timestamp } from "@/platform/openapi";
import { templateVariables } from "./render";

export const templateInput = z.object({
  name: z.string().trim().min(1).max(100).openapi({ example: "Greeting" }),
  body: z
    .string()
    .trim()
    .min(1)
    .max(4096)
    .openapi({ example: "Hi {{contact.name}}, this is {{agent.name}} about ticket #{{ticket.number}}." }),
  language: z
    .string()
    .regex(/^[a-z]{2,3}([_-][A-Za-z]{2,4})?$/, "must be a language tag like pt_BR, en or es-MX")
    .nullable()
    .openapi({ example: "pt_BR" }),
  providerTemplateName: z
    .string()
    .trim()
    .min(1)
    .max(512)
    .nullable()
    .openapi({ description: "The provider-approved (WhatsApp) template this quick reply maps to." }),
});

export const templateSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    body: z.string(),
    language: z.string().nullable(),
    providerTemplateName: z.string().nullable(),
    variables: z.array(z.string()).openapi({ description: "The distinct {{placeholders}} of the body." }),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .openapi("Template");

export const renderInput = z.object({
  contactId: z.uuid().optional().openapi({ description: "Defaults to the ticket's contact." }),
  ticketId: z.uuid().optional(),
});

export const renderedSchema = z
  .object({
    body: z.string(),
    missing: z.array(z.string()).openapi({ description: "Placeholders that had no value and rendered empty." }),
  })
  .openapi("RenderedTemplate");

export type TemplateRow = typeof templates.$inferSelect;

export function presentTemplate(row: TemplateRow): z.infer<typeof templateSchema> {
  return {
    id: row.id,
    name: row.name,
    body: row.body,
    language: row.language,
    providerTemplateName: row.providerTemplateName,
    variables: templateVariables(row.body),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
