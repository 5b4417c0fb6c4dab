import { z } from "@hono/zod-openapi";
import { auditFromContext } from "@/audit/context";
import { auditDiff } from "@/audit/diff";
import { type apiKeys, roles } from "@/db/schema";
import type { App } from "@/platform/api-app";
import { protectedRoute } from "@/platform/auth";
import { idParam, jsonBody, jsonContent, timestamp } from "@/platform/openapi";
import { decodeCursor, idCursor, pageQuery, pageSchema, toPage } from "@/platform/pagination";
import { createApiKey, listApiKeys, revokeApiKey } from "./service";

const apiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().openapi({ description: "The first characters of the key, to tell keys apart." }),
    role: z.enum(roles),
    createdAt: timestamp,
    lastUsedAt: timestamp.nullable(),
    expiresAt: timestamp.nullable(),
  })
  .openapi("ApiKey");

type ApiKeyRow = typeof apiKeys.$inferSelect;

function present(row: ApiKeyRow): z.infer<typeof apiKeySchema> {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    role: row.role,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    expiresAt: row.expiresAt?.toISOString() ?? null,
  };
}

const create = protectedRoute({
  method: "post",
  path: "/api/api-keys",
  tags: ["api keys"],
  summary: "Create an API key (shown once)",
  roles: ["admin"],
  request: {
    body: jsonBody(
      z.object({
        name: z.string().trim().min(1).max(100),
        role: z.enum(roles).default("admin"),
        expiresAt: z.iso
          .datetime()
          .optional()
          .refine((v) => !v || Date.parse(v) > Date.now(), "must be in the future"),
      }),
    ),
  },
  responses: {
    201: jsonContent(
      apiKeySchema.extend({ key: z.string().openapi({ description: "The secret; it is not shown again." }) }),
      "The key. Store it now: only its hash is kept.",
    ),
  },
});

const list = protectedRoute({
  method: "get",
  path: "/api/api-keys",
  tags: ["api keys"],
  summary: "List active API keys",
  roles: ["admin"],
  request: { query: pageQuery },
  responses: { 200: jsonContent(pageSchema(apiKeySchema, "ApiKeyPage"), "A page of keys, newest first.") },
});

const revoke = protectedRoute({
  method: "delete",
  path: "/api/api-keys/{id}",
  tags: ["api keys"],
  summary: "Revoke an API key",
  roles: ["admin"],
  request: { params: idParam },
  responses: { 204: { description: "Revoked." } },
});

export function registerApiKeyRoutes(app: App) {
  app.openapi(create, async (c) => {
    const { db } = c.var.services;
    const principal = c.var.principal;
    const { row, key } = await createApiKey(db, principal, c.req.valid("json"));
    await auditFromContext(c, {
      action: "api_key.created",
      targetType: "api_key",
      targetId: row.id,
      // The key itself never: its hash is `keyHash`, redacted by name like any secret.
      diff: auditDiff(null, { name: row.name, prefix: row.prefix, role: row.role, expiresAt: row.expiresAt }),
      metadata: { role: row.role },
    });
    return c.json({ ...present(row), key }, 201);
  });

  app.openapi(list, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const after = decodeCursor(cursor, idCursor)?.id;
    const rows = await listApiKeys(c.var.services.db, c.var.principal.organizationId, { limit, after });
    return c.json(
      toPage(rows, limit, (r) => ({ id: r.id }), present),
      200,
    );
  });

  app.openapi(revoke, async (c) => {
    const { db, now } = c.var.services;
    const principal = c.var.principal;
    const { id } = c.req.valid("param");
    await revokeApiKey(db, principal.organizationId, id, now());
    await auditFromContext(c, { action: "api_key.revoked", targetType: "api_key", targetId: id });
    return c.body(null, 204);
  });
}
