import { and, desc, eq, lt } from "drizzle-orm";
import { getContact } from "@/contacts/service";
import { templates, tickets, users } from "@/db/schema";
import type { Database } from "@/platform/db";
import { isUniqueViolation } from "@/platform/db-errors";
import { ApiError } from "@/platform/errors";
import type { Principal } from "@/platform/principal";
import { renderTemplate, templateVariables } from "./render";

type TemplateInput = {
  name?: string;
  body?: string;
  language?: string | null;
  providerTemplateName?: string | null;
};

const NOT_FOUND = "No such template in this organization.";

/** Names are unique per organization regardless of case, so agents can pick a reply by name. */
async function uniqueName<T>(name: string | undefined, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isUniqueViolation(error, "templates_name_key")) {
      throw new ApiError("CONFLICT", `A template named "${name}" already exists (names ignore case).`);
    }
    throw error;
  }
}

export async function listTemplates(db: Database, organizationId: string, page: { limit: number; after?: string }) {
  return db
    .select()
    .from(templates)
    .where(and(eq(templates.organizationId, organizationId), page.after ? lt(templates.id, page.after) : undefined))
    .orderBy(desc(templates.id))
    .limit(page.limit + 1);
}

export async function getTemplate(db: Database, organizationId: string, id: string) {
  const [row] = await db
    .select()
    .from(templates)
    .where(and(eq(templates.organizationId, organizationId), eq(templates.id, id)));
  if (!row) throw new ApiError("NOT_FOUND", NOT_FOUND);
  return row;
}

export async function createTemplate(
  db: Database,
  organizationId: string,
  input: TemplateInput & { name: string; body: string },
) {
  const [row] = await uniqueName(input.name, () =>
    db
      .insert(templates)
      .values({ organizationId, ...input })
      .returning(),
  );
  if (!row) throw new Error("template insert returned nothing");
  return row;
}

export async function updateTemplate(db: Database, organizationId: string, id: string, changes: TemplateInput) {
  const [row] = await uniqueName(changes.name, () =>
    db
      .update(templates)
      .set(changes)
      .where(and(eq(templates.organizationId, organizationId), eq(templates.id, id)))
      .returning(),
  );
  if (!row) throw new ApiError("NOT_FOUND", NOT_FOUND);
  return row;
}

export async function deleteTemplate(db: Database, organizationId: string, id: string) {
  const [row] = await db
    .delete(templates)
    .where(and(eq(templates.organizationId, organizationId), eq(templates.id, id)))
    .returning();
  if (!row) throw new ApiError("NOT_FOUND", NOT_FOUND);
  return row;
}

/** Fills a template for a conversation: the ticket, its (or the given) contact and the caller. */
export async function renderFor(
  db: Database,
  principal: Principal,
  id: string,
  context: { contactId?: string; ticketId?: string },
) {
  const organizationId = principal.organizationId;
  const template = await getTemplate(db, organizationId, id);
  let ticket: { number: number; subject: string | null; contactId: string } | undefined;
  if (context.ticketId) {
    [ticket] = await db
      .select({ number: tickets.number, subject: tickets.subject, contactId: tickets.contactId })
      .from(tickets)
      .where(and(eq(tickets.organizationId, organizationId), eq(tickets.id, context.ticketId)));
    if (!ticket) throw new ApiError("NOT_FOUND", "No such ticket in this organization.");
  }
  const contactId = context.contactId ?? ticket?.contactId;
  const contact = contactId ? await getContact(db, organizationId, contactId) : undefined;
  // An API key has no name a customer should see, so {{agent.name}} renders empty for it.
  const [agent] =
    principal.type === "user"
      ? await db
          .select({ name: users.name })
          .from(users)
          .where(and(eq(users.organizationId, organizationId), eq(users.id, principal.id)))
      : [];
  const values = {
    "contact.name": contact?.name,
    "contact.phone": contact?.phone,
    "contact.email": contact?.email,
    "agent.name": agent?.name,
    "ticket.number": ticket?.number,
    "ticket.subject": ticket?.subject,
  };
  const missing = templateVariables(template.body).filter((v) => {
    const value = Object.hasOwn(values, v) ? values[v as keyof typeof values] : undefined;
    return value === undefined || value === null || value === "";
  });
  return { body: renderTemplate(template.body, values), missing };
}
