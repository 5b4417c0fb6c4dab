import { z } from "@hono/zod-openapi";
import { auditFromContext } from "@/audit/context";
import { phone } from "@/contacts/schemas";
import { fullView, listView, type PiiView, revealQuery } from "@/pii/policy";
import type { App } from "@/platform/api-app";
import { protectedRoute } from "@/platform/auth";
import { maskPhone } from "@/platform/logger";
import { jsonBody, jsonContent, timestamp } from "@/platform/openapi";
import { decodeCursor, idCursor, pageQuery, pageSchema, toPage } from "@/platform/pagination";
import { type BlockedRow, blockNumber, listBlocked, unblock } from "./service";

const blockedSchema = z
  .object({
    id: z.string(),
    phone: z.string().openapi({ description: "E.164; masked in the list unless `reveal=true`." }),
    reason: z.string().nullable(),
    createdBy: z.string().nullable(),
    createdAt: timestamp,
  })
  .openapi("BlockedNumber");

const present = (row: BlockedRow, pii: PiiView): z.infer<typeof blockedSchema> => ({
  id: row.id,
  phone: pii.phone(row.phone) ?? row.phone,
  reason: row.reason,
  createdBy: row.createdBy,
  createdAt: row.createdAt.toISOString(),
});

const list = protectedRoute({
  method: "get",
  path: "/api/blocklist",
  tags: ["blocklist"],
  summary: "Blocked numbers",
  description:
    "Newest first. A blocked number's inbound calls are rejected, and no outbound call or message goes to it (409 `BLOCKED_NUMBER`). Numbers are masked unless `reveal=true` (admins and supervisors, audited).",
  request: { query: pageQuery.extend({ reveal: revealQuery }) },
  responses: { 200: jsonContent(pageSchema(blockedSchema, "BlockedNumberPage"), "A page of blocked numbers.") },
});

const create = protectedRoute({
  method: "post",
  path: "/api/blocklist",
  tags: ["blocklist"],
  summary: "Block a number",
  description:
    "The number is stored in E.164, so every way of writing it (a Brazilian mobile with or without its ninth digit) is one entry. Blocking a number already blocked answers 200 with the existing entry and changes nothing (its first reason stays).",
  roles: ["admin", "supervisor"],
  request: {
    body: jsonBody(
      z.object({ phone, reason: z.string().trim().min(1).max(500).optional().openapi({ example: "abusive caller" }) }),
    ),
  },
  responses: {
    201: jsonContent(blockedSchema, "Blocked."),
    200: jsonContent(blockedSchema, "Already blocked: the existing entry."),
  },
});

const remove = protectedRoute({
  method: "delete",
  path: "/api/blocklist/{idOrPhone}",
  tags: ["blocklist"],
  summary: "Unblock a number, by the entry's id or by the number",
  roles: ["admin", "supervisor"],
  request: {
    params: z.object({
      idOrPhone: z
        .string()
        .min(1)
        .max(60)
        .openapi({
          param: { name: "idOrPhone", in: "path" },
          example: "+5511987654321",
          description: "An entry id or a phone number (URL-encode the +).",
        }),
    }),
  },
  responses: { 204: { description: "Unblocked." } },
});

export function registerBlocklistRoutes(app: App) {
  app.openapi(list, async (c) => {
    const { limit, cursor, reveal } = c.req.valid("query");
    const after = decodeCursor(cursor, idCursor)?.id;
    const pii = await listView(c, { name: "blocklist", reveal });
    const rows = await listBlocked(c.var.services.db, c.var.principal.organizationId, { limit, after });
    return c.json(
      toPage(
        rows,
        limit,
        (r) => ({ id: r.id }),
        (r) => present(r, pii),
      ),
      200,
    );
  });

  app.openapi(create, async (c) => {
    const { db } = c.var.services;
    const principal = c.var.principal;
    const body = c.req.valid("json");
    const { row, created } = await blockNumber(db, {
      organizationId: principal.organizationId,
      phone: body.phone,
      reason: body.reason,
      createdBy: principal.type === "user" ? principal.id : null,
    });
    if (!created) return c.json(present(row, fullView), 200);
    await auditFromContext(c, {
      action: "blocklist.added",
      targetType: "blocked_number",
      targetId: row.id,
      metadata: { phone: maskPhone(row.phone), reason: row.reason },
    });
    return c.json(present(row, fullView), 201);
  });

  app.openapi(remove, async (c) => {
    const { db } = c.var.services;
    const principal = c.var.principal;
    const row = await unblock(db, principal.organizationId, c.req.valid("param").idOrPhone);
    await auditFromContext(c, {
      action: "blocklist.removed",
      targetType: "blocked_number",
      targetId: row.id,
      metadata: { phone: maskPhone(row.phone), reason: row.reason },
    });
    return c.body(null, 204);
  });
}
