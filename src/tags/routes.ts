import { z } from "@hono/zod-openapi";
import type { App } from "@/platform/api-app";
import { audit } from "@/platform/audit";
import { protectedRoute } from "@/platform/auth";
import { idParam, jsonBody, jsonContent } from "@/platform/openapi";
import { decodeCursor, idCursor, pageQuery, pageSchema, toPage } from "@/platform/pagination";
import { presentTag, tagColor, tagName, tagSchema } from "./schemas";
import { createTag, deleteTag, getTag, listTags, updateTag } from "./service";

const MANAGERS = ["admin", "supervisor"] as const;

const list = protectedRoute({
  method: "get",
  path: "/api/tags",
  tags: ["tags"],
  summary: "List the organization's ticket tags",
  request: { query: pageQuery },
  responses: { 200: jsonContent(pageSchema(tagSchema, "TagPage"), "A page of tags, newest first.") },
});

const create = protectedRoute({
  method: "post",
  path: "/api/tags",
  tags: ["tags"],
  summary: "Create a tag",
  roles: [...MANAGERS],
  request: { body: jsonBody(z.object({ name: tagName, color: tagColor.nullable().optional() })) },
  responses: { 201: jsonContent(tagSchema, "The tag.") },
});

const get = protectedRoute({
  method: "get",
  path: "/api/tags/{id}",
  tags: ["tags"],
  summary: "Get a tag",
  request: { params: idParam },
  responses: { 200: jsonContent(tagSchema, "The tag.") },
});

const update = protectedRoute({
  method: "patch",
  path: "/api/tags/{id}",
  tags: ["tags"],
  summary: "Rename or recolor a tag",
  roles: [...MANAGERS],
  request: {
    params: idParam,
    body: jsonBody(
      z
        .object({ name: tagName, color: tagColor.nullable() })
        .partial()
        .refine((v) => Object.keys(v).length > 0, "send at least one field"),
    ),
  },
  responses: { 200: jsonContent(tagSchema, "The updated tag.") },
});

const remove = protectedRoute({
  method: "delete",
  path: "/api/tags/{id}",
  tags: ["tags"],
  summary: "Delete a tag and remove it from every ticket",
  roles: [...MANAGERS],
  request: { params: idParam },
  responses: { 204: { description: "Deleted." } },
});

export function registerTagRoutes(app: App) {
  app.openapi(list, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const after = decodeCursor(cursor, idCursor)?.id;
    const rows = await listTags(c.var.services.db, c.var.principal.organizationId, { limit, after });
    return c.json(
      toPage(rows, limit, (r) => ({ id: r.id }), presentTag),
      200,
    );
  });

  app.openapi(create, async (c) => {
    const { db } = c.var.services;
    const principal = c.var.principal;
    const tag = await createTag(db, principal.organizationId, c.req.valid("json"));
    await audit(db, {
      organizationId: principal.organizationId,
      actor: principal,
      action: "tag.created",
      targetType: "tag",
      targetId: tag.id,
      metadata: { name: tag.name },
    });
    return c.json(presentTag(tag), 201);
  });

  app.openapi(get, async (c) => {
    const tag = await getTag(c.var.services.db, c.var.principal.organizationId, c.req.valid("param").id);
    return c.json(presentTag(tag), 200);
  });

  app.openapi(update, async (c) => {
    const { db } = c.var.services;
    const principal = c.var.principal;
    const changes = c.req.valid("json");
    const tag = await updateTag(db, principal.organizationId, c.req.valid("param").id, changes);
    await audit(db, {
      organizationId: principal.organizationId,
      actor: principal,
      action: "tag.updated",
      targetType: "tag",
      targetId: tag.id,
      metadata: { changes },
    });
    return c.json(presentTag(tag), 200);
  });

  app.openapi(remove, async (c) => {
    const { db } = c.var.services;
    const principal = c.var.principal;
    const tag = await deleteTag(db, principal.organizationId, c.req.valid("param").id);
    await audit(db, {
      organizationId: principal.organizationId,
      actor: principal,
      action: "tag.deleted",
      targetType: "tag",
      targetId: tag.id,
      metadata: { name: tag.name },
    });
    return c.body(null, 204);
  });
}
