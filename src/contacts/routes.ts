import { z } from "@hono/zod-openapi";
import { auditFromContext, requestOf } from "@/audit/context";
import { auditDiff } from "@/audit/diff";
import { fullView, listView, resourceView, revealQuery } from "@/pii/policy";
import type { App } from "@/platform/api-app";
import { protectedRoute } from "@/platform/auth";
import { idParam, jsonBody, jsonContent } from "@/platform/openapi";
import { decodeCursor, idCursor, pageQuery, pageSchema, toPage } from "@/platform/pagination";
import { mergeContacts } from "./merge";
import {
  contactDetailSchema,
  contactEmail,
  contactName,
  contactSchema,
  metadata,
  phone,
  presentContact,
  presentContactDetail,
} from "./schemas";
import { contactDetail, createContact, listContacts, updateContact } from "./service";

const list = protectedRoute({
  method: "get",
  path: "/api/contacts",
  tags: ["contacts"],
  summary: "List or search contacts",
  description:
    "`q` matches part of the name (any case) or the phone number, in any common format. Phones and e-mails are masked unless `reveal=true` (admins and supervisors, audited).",
  request: {
    query: pageQuery.extend({
      q: z.string().trim().min(1).max(100).optional().openapi({ example: "maria" }),
      reveal: revealQuery,
    }),
  },
  responses: { 200: jsonContent(pageSchema(contactSchema, "ContactPage"), "A page of contacts, newest first.") },
});

const create = protectedRoute({
  method: "post",
  path: "/api/contacts",
  tags: ["contacts"],
  summary: "Create a contact",
  request: {
    body: jsonBody(
      z
        .object({ phone: phone.optional(), name: contactName.optional(), email: contactEmail.optional() })
        .refine((v) => v.phone !== undefined || v.name !== undefined, "send a phone number or a name"),
    ),
  },
  responses: { 201: jsonContent(contactSchema, "The contact.") },
});

const get = protectedRoute({
  method: "get",
  path: "/api/contacts/{id}",
  tags: ["contacts"],
  summary: "Get a contact with its identities and ticket counts",
  request: { params: idParam },
  responses: { 200: jsonContent(contactDetailSchema, "The contact.") },
});

const update = protectedRoute({
  method: "patch",
  path: "/api/contacts/{id}",
  tags: ["contacts"],
  summary: "Edit a contact, or record that they opted out of messages",
  request: {
    params: idParam,
    body: jsonBody(
      z
        .object({
          name: contactName.nullable(),
          email: contactEmail.nullable(),
          phone: phone.nullable(),
          optOut: z.boolean(),
          metadata,
        })
        .partial()
        .refine((v) => Object.keys(v).length > 0, "send at least one field"),
    ),
  },
  responses: { 200: jsonContent(contactSchema, "The updated contact.") },
});

const merge = protectedRoute({
  method: "post",
  path: "/api/contacts/{id}/merge",
  tags: ["contacts"],
  summary: "Merge a duplicate contact into this one",
  description:
    "Moves the duplicate's tickets, messages, calls, leads, identities and custom webhook events here and fills this contact's empty fields from it. Where both have an active ticket on the same channel, the duplicate's is resolved first.",
  roles: ["admin", "supervisor"],
  request: { params: idParam, body: jsonBody(z.object({ duplicateId: z.uuid() })) },
  responses: {
    200: jsonContent(
      z
        .object({
          contact: contactDetailSchema,
          moved: z.object({
            tickets: z.number().int(),
            messages: z.number().int(),
            calls: z.number().int(),
            leads: z.number().int(),
            identities: z.number().int(),
            events: z
              .number()
              .int()
              .openapi({ description: "Events external systems sent about the contact (custom webhooks)." }),
          }),
          resolvedTicketIds: z.array(z.string()),
        })
        .openapi("ContactMerge"),
      "The merged contact and what moved.",
    ),
  },
});

export function registerContactRoutes(app: App) {
  app.openapi(list, async (c) => {
    const { limit, cursor, q, reveal } = c.req.valid("query");
    const after = decodeCursor(cursor, idCursor)?.id;
    const pii = await listView(c, { name: "contacts", reveal, filters: { q } });
    const rows = await listContacts(c.var.services.db, c.var.principal.organizationId, { limit, after, q });
    return c.json(
      toPage(
        rows,
        limit,
        (r) => ({ id: r.id }),
        (r) => presentContact(r, pii),
      ),
      200,
    );
  });

  app.openapi(create, async (c) => {
    const { db } = c.var.services;
    const principal = c.var.principal;
    const contact = await createContact(db, principal.organizationId, c.req.valid("json"));
    await auditFromContext(c, { action: "contact.created", targetType: "contact", targetId: contact.id });
    // The caller has just sent these values: answering them in full discloses nothing.
    return c.json(presentContact(contact, fullView), 201);
  });

  app.openapi(get, async (c) => {
    const detail = await contactDetail(c.var.services.db, c.var.principal.organizationId, c.req.valid("param").id);
    return c.json(presentContactDetail(detail, await resourceView(c, { contactId: detail.contact.id })), 200);
  });

  app.openapi(update, async (c) => {
    const { db } = c.var.services;
    const principal = c.var.principal;
    const changes = c.req.valid("json");
    const { before, after } = await updateContact(db, principal.organizationId, c.req.valid("param").id, changes);
    await auditFromContext(c, {
      // Opt-outs are consent records: they get an action of their own so they are easy to find.
      action:
        before.optOut !== after.optOut ? (after.optOut ? "contact.opted_out" : "contact.opted_in") : "contact.updated",
      targetType: "contact",
      targetId: after.id,
      diff: auditDiff(before, after, { fields: Object.keys(changes) }),
      metadata: { fields: Object.keys(changes) },
    });
    const shown = presentContact(after, await resourceView(c, { contactId: after.id }));
    // What the caller has just sent comes back as sent; the rest as the policy shows it.
    if (changes.phone !== undefined) shown.phone = after.phone;
    if (changes.email !== undefined) shown.email = after.email;
    return c.json(shown, 200);
  });

  app.openapi(merge, async (c) => {
    const { db } = c.var.services;
    const principal = c.var.principal;
    const { id } = c.req.valid("param");
    const result = await mergeContacts(db, principal, id, c.req.valid("json").duplicateId, requestOf(c));
    const detail = await contactDetail(db, principal.organizationId, id);
    return c.json({ contact: presentContactDetail(detail, await resourceView(c, { contactId: id })), ...result }, 200);
  });
}
