import { z } from "@hono/zod-openapi";
import { leadStatuses, leadTemperatures } from "@/db/schema";
import { dispatch } from "@/jobs/dispatch";
import { listView, resourceView, revealQuery } from "@/pii/policy";
import type { App } from "@/platform/api-app";
import { audit } from "@/platform/audit";
import { protectedRoute } from "@/platform/auth";
import { idParam, jsonBody, jsonContent } from "@/platform/openapi";
import { decodeCursor, idCursor, pageQuery, pageSchema, toPage } from "@/platform/pagination";
import {
  leadDetailSchema,
  leadPatch,
  leadSchema,
  presentLead,
  presentQuote,
  presentTemperatureChange,
  quoteBody,
  quoteSchema,
} from "./schemas";
import { createQuote, getLead, leadQuotes, listLeads, patchLead, temperatureHistory } from "./service";

const list = protectedRoute({
  method: "get",
  path: "/api/leads",
  tags: ["leads"],
  summary: "List or search leads",
  description:
    "One lead per contact, filled by the AI agent's replies and people's edits. `q` matches part of the name, company, e-mail, interest or the contact's name. E-mails are masked unless `reveal=true` (admins and supervisors, audited).",
  request: {
    query: pageQuery.extend({
      temperature: z.enum(leadTemperatures).optional(),
      status: z.enum(leadStatuses).optional(),
      contactId: z.uuid().optional(),
      q: z.string().trim().min(1).max(100).optional().openapi({ example: "acme" }),
      reveal: revealQuery,
    }),
  },
  responses: { 200: jsonContent(pageSchema(leadSchema, "LeadPage"), "A page of leads, newest first.") },
});

const get = protectedRoute({
  method: "get",
  path: "/api/leads/{id}",
  tags: ["leads"],
  summary: "Get a lead with its temperature history",
  request: { params: idParam },
  responses: { 200: jsonContent(leadDetailSchema, "The lead.") },
});

const update = protectedRoute({
  method: "patch",
  path: "/api/leads/{id}",
  tags: ["leads"],
  summary: "Edit a lead: status, temperature, fields",
  description:
    "null erases a field. A temperature change is recorded in the history; a lead turned hot is announced (`lead.hot` on the events webhook) and, with PipeRun connected, becomes a deal once.",
  request: { params: idParam, body: jsonBody(leadPatch) },
  responses: { 200: jsonContent(leadSchema, "The updated lead.") },
});

const quotesList = protectedRoute({
  method: "get",
  path: "/api/leads/{id}/quotes",
  tags: ["leads"],
  summary: "The lead's quotes, newest first",
  description:
    "The bot drafts one per ticket once the lead has named both an interest and a quantity (source `ai`, kept up to date while a draft); people add others with POST.",
  request: { params: idParam },
  responses: { 200: jsonContent(z.object({ data: z.array(quoteSchema) }), "The quotes.") },
});

const quotesCreate = protectedRoute({
  method: "post",
  path: "/api/leads/{id}/quotes",
  tags: ["leads"],
  summary: "Add a quote to a lead",
  description: "Without `amount`, the items' unitPrice × quantity add up to it when every item has both.",
  request: { params: idParam, body: jsonBody(quoteBody) },
  responses: { 201: jsonContent(quoteSchema, "The quote.") },
});

export function registerLeadRoutes(app: App) {
  app.openapi(list, async (c) => {
    const { limit, cursor, reveal, ...filter } = c.req.valid("query");
    const after = decodeCursor(cursor, idCursor)?.id;
    const pii = await listView(c, { name: "leads", reveal, filters: filter });
    const rows = await listLeads(c.var.services.db, c.var.principal.organizationId, { limit, after, ...filter });
    return c.json(
      toPage(
        rows,
        limit,
        (r) => ({ id: r.id }),
        (r) => presentLead(r, pii),
      ),
      200,
    );
  });

  app.openapi(get, async (c) => {
    const { db } = c.var.services;
    const { organizationId } = c.var.principal;
    const lead = await getLead(db, organizationId, c.req.valid("param").id);
    const history = await temperatureHistory(db, organizationId, lead.id);
    const pii = await resourceView(c, { contactId: lead.contactId });
    return c.json({ ...presentLead(lead, pii), temperatureHistory: history.map(presentTemperatureChange) }, 200);
  });

  app.openapi(update, async (c) => {
    const services = c.var.services;
    const principal = c.var.principal;
    const changes = c.req.valid("json");
    const { lead, jobs } = await patchLead(services.db, principal, c.req.valid("param").id, changes);
    if (jobs.length) services.waitUntil(dispatch(services, jobs));
    await audit(services.db, {
      organizationId: principal.organizationId,
      actor: principal,
      action: "lead.updated",
      targetType: "lead",
      targetId: lead.id,
      metadata: { fields: Object.keys(changes) },
    });
    return c.json(presentLead(lead, await resourceView(c, { contactId: lead.contactId })), 200);
  });

  app.openapi(quotesList, async (c) => {
    const rows = await leadQuotes(c.var.services.db, c.var.principal.organizationId, c.req.valid("param").id);
    return c.json({ data: rows.map(presentQuote) }, 200);
  });

  app.openapi(quotesCreate, async (c) => {
    const { db } = c.var.services;
    const principal = c.var.principal;
    const quote = await createQuote(db, principal.organizationId, c.req.valid("param").id, c.req.valid("json"));
    await audit(db, {
      organizationId: principal.organizationId,
      actor: principal,
      action: "quote.created",
      targetType: "quote",
      targetId: quote.id,
    });
    return c.json(presentQuote(quote), 201);
  });
}
