import type { App } from "@/platform/api-app";
import { audit } from "@/platform/audit";
import { protectedRoute } from "@/platform/auth";
import { idParam, jsonBody, jsonContent } from "@/platform/openapi";
import { decodeCursor, idCursor, pageQuery, pageSchema, toPage } from "@/platform/pagination";
import { presentTemplate, renderedSchema, renderInput, templateInput, templateSchema } from "./schemas";
import { createTemplate, deleteTemplate, getTemplate, listTemplates, renderFor, updateTemplate } from "./service";

const list = protectedRoute({
  method: "get",
  path: "/api/templates",
  tags: ["templates"],
  summary: "List quick-reply templates",
  request: { query: pageQuery },
  responses: { 200: jsonContent(pageSchema(templateSchema, "TemplatePage"), "A page of templates, newest first.") },
});

const create = protectedRoute({
  method: "post",
  path: "/api/templates",
  tags: ["templates"],
  summary: "Create a quick-reply template",
  description: "The body may use {{contact.name}}, {{contact.phone}}, {{agent.name}} and {{ticket.number}}.",
  roles: ["admin", "supervisor"],
  request: { body: jsonBody(templateInput.partial({ language: true, providerTemplateName: true })) },
  responses: { 201: jsonContent(templateSchema, "The template.") },
});

const get = protectedRoute({
  method: "get",
  path: "/api/templates/{id}",
  tags: ["templates"],
  summary: "Get a template",
  request: { params: idParam },
  responses: { 200: jsonContent(templateSchema, "The template.") },
});

const update = protectedRoute({
  method: "patch",
  path: "/api/templates/{id}",
  tags: ["templates"],
  summary: "Edit a template",
  roles: ["admin", "supervisor"],
  request: {
    params: idParam,
    body: jsonBody(templateInput.partial().refine((v) => Object.keys(v).length > 0, "send at least one field")),
  },
  responses: { 200: jsonContent(templateSchema, "The updated template.") },
});

const remove = protectedRoute({
  method: "delete",
  path: "/api/templates/{id}",
  tags: ["templates"],
  summary: "Delete a template",
  roles: ["admin", "supervisor"],
  request: { params: idParam },
  responses: { 204: { description: "Deleted." } },
});

const render = protectedRoute({
  method: "post",
  path: "/api/templates/{id}/render",
  tags: ["templates"],
  summary: "Fill a template for a contact or ticket",
  description: "Placeholders without a value render as empty text and are listed in `missing`.",
  request: { params: idParam, body: jsonBody(renderInput) },
  responses: { 200: jsonContent(renderedSchema, "The rendered text.") },
});

export function registerTemplateRoutes(app: App) {
  app.openapi(list, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const after = decodeCursor(cursor, idCursor)?.id;
    const rows = await listTemplates(c.var.services.db, c.var.principal.organizationId, { limit, after });
    return c.json(
      toPage(rows, limit, (r) => ({ id: r.id }), presentTemplate),
      200,
    );
  });

  app.openapi(create, async (c) => {
    const { db } = c.var.services;
    const principal = c.var.principal;
    const template = await createTemplate(db, principal.organizationId, c.req.valid("json"));
    await audit(db, {
      organizationId: principal.organizationId,
      actor: principal,
      action: "template.created",
      targetType: "template",
      targetId: template.id,
      metadata: { name: template.name },
    });
    return c.json(presentTemplate(template), 201);
  });

  app.openapi(get, async (c) => {
    const template = await getTemplate(c.var.services.db, c.var.principal.organizationId, c.req.valid("param").id);
    return c.json(presentTemplate(template), 200);
  });

  app.openapi(update, async (c) => {
    const { db } = c.var.services;
    const principal = c.var.principal;
    const changes = c.req.valid("json");
    const template = await updateTemplate(db, principal.organizationId, c.req.valid("param").id, changes);
    await audit(db, {
      organizationId: principal.organizationId,
      actor: principal,
      action: "template.updated",
      targetType: "template",
      targetId: template.id,
      metadata: { fields: Object.keys(changes) },
    });
    return c.json(presentTemplate(template), 200);
  });

  app.openapi(remove, async (c) => {
    const { db } = c.var.services;
    const principal = c.var.principal;
    const template = await deleteTemplate(db, principal.organizationId, c.req.valid("param").id);
    await audit(db, {
      organizationId: principal.organizationId,
      actor: principal,
      action: "template.deleted",
      targetType: "template",
      targetId: template.id,
      metadata: { name: template.name },
    });
    return c.body(null, 204);
  });

  app.openapi(render, async (c) => {
    const result = await renderFor(c.var.services.db, c.var.principal, c.req.valid("param").id, c.req.valid("json"));
    return c.json(result, 200);
  });
}
