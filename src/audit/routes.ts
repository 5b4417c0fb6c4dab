import { z } from "@hono/zod-openapi";
import { auditActorTypes } from "@/db/schema";
import type { App } from "@/platform/api-app";
import { protectedRoute } from "@/platform/auth";
import { jsonContent, timestamp } from "@/platform/openapi";
import { decodeCursor, encodeCursor, idCursor, pageQuery, pageSchema, toPage } from "@/platform/pagination";
import { auditFromContext } from "./context";
import { auditFilters } from "./diff";
import { type AuditRow, listAudit } from "./service";

const entrySchema = z
  .object({
    id: z.string(),
    action: z.string().openapi({ example: "user.role_changed" }),
    actor: z.object({ type: z.enum(auditActorTypes), id: z.string().nullable() }),
    ip: z.string().nullable(),
    requestId: z.string().nullable(),
    targetType: z.string().nullable(),
    targetId: z.string().nullable(),
    diff: z
      .record(z.string(), z.object({ before: z.unknown(), after: z.unknown() }))
      .nullable()
      .openapi({ description: "What changed; secrets show only as [redacted], phones and e-mails masked." }),
    metadata: z.record(z.string(), z.unknown()),
    createdAt: timestamp,
  })
  .openapi("AuditEntry");

const present = (row: AuditRow): z.infer<typeof entrySchema> => ({
  id: row.id,
  action: row.action,
  actor: { type: row.actorType, id: row.actorId },
  ip: row.ip,
  requestId: row.requestId,
  targetType: row.targetType,
  targetId: row.targetId,
  diff: row.diff,
  metadata: row.metadata,
  createdAt: row.createdAt.toISOString(),
});

const filters = z.object({
  action: z
    .string()
    .max(100)
    .regex(/^[\w.:-]+\*?$/, "an action such as user.role_changed, or a prefix such as otp.*")
    .optional()
    .openapi({ description: "An action, or every action under a prefix ending in `*` (`otp.*`)." }),
  actorType: z.enum(auditActorTypes).optional(),
  actorId: z.uuid().optional(),
  targetType: z.string().max(100).optional(),
  targetId: z.string().max(200).optional(),
  from: z.iso.datetime().optional().openapi({ description: "Entries at or after this instant." }),
  to: z.iso.datetime().optional().openapi({ description: "Entries at or before this instant." }),
});

const list = protectedRoute({
  method: "get",
  path: "/api/audit",
  tags: ["audit"],
  summary: "The organization's audit log, newest first",
  description:
    "Critical actions (sign-ins, API keys, credentials, users and roles, transfers and merges, PII reveals, exports, replays, settings) with actor, IP, request id, target and a diff without secrets. Append-only: nothing can change or delete an entry.",
  roles: ["admin"],
  request: { query: pageQuery.extend(filters.shape) },
  responses: { 200: jsonContent(pageSchema(entrySchema, "AuditPage"), "A page of entries.") },
});

/** Rows one export may hold; a bigger log is exported page by page with `cursor`. */
const EXPORT_MAX = 10_000;

const exportRoute = protectedRoute({
  method: "get",
  path: "/api/audit/export",
  tags: ["audit"],
  summary: "Export the audit log as CSV (recorded as audit.exported)",
  description: `Up to ${EXPORT_MAX} entries, newest first, with the list's filters. When more remain, \`X-Next-Cursor\` names the next export's \`cursor\`.`,
  roles: ["admin"],
  request: {
    query: filters.extend({
      limit: z.coerce.number().int().min(1).max(EXPORT_MAX).default(EXPORT_MAX),
      cursor: pageQuery.shape.cursor,
    }),
  },
  responses: {
    200: { description: "RFC 4180 CSV with a header row.", content: { "text/csv": { schema: z.string() } } },
  },
});

const columns = ["id", "createdAt", "action", "actorType", "actorId", "ip", "requestId", "targetType", "targetId"];

/** One CSV field: quoted, and a leading = + - @ neutralized so a spreadsheet never runs it as a formula. */
function csvField(value: unknown): string {
  let text = value === null || value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return `"${text.replaceAll('"', '""')}"`;
}

function csvRow(row: AuditRow): string {
  const entry = present(row);
  return [
    entry.id,
    entry.createdAt,
    entry.action,
    entry.actor.type,
    entry.actor.id,
    entry.ip,
    entry.requestId,
    entry.targetType,
    entry.targetId,
    entry.diff,
    entry.metadata,
  ]
    .map(csvField)
    .join(",");
}

export function registerAuditRoutes(app: App) {
  app.openapi(list, async (c) => {
    const { limit, cursor, ...filter } = c.req.valid("query");
    const before = decodeCursor(cursor, idCursor)?.id;
    const rows = await listAudit(c.var.services.db, c.var.principal.organizationId, filter, { limit, before });
    return c.json(
      toPage(rows, limit, (r) => ({ id: r.id }), present),
      200,
    );
  });

  app.openapi(exportRoute, async (c) => {
    const { limit, cursor, ...filter } = c.req.valid("query");
    const before = decodeCursor(cursor, idCursor)?.id;
    const rows = await listAudit(c.var.services.db, c.var.principal.organizationId, filter, { limit, before });
    const more = rows.length > limit;
    const kept = more ? rows.slice(0, limit) : rows;
    const last = kept.at(-1);
    // Recorded before the rows leave: an export that reached nobody is still one that was asked for.
    await auditFromContext(c, {
      action: "audit.exported",
      targetType: "audit_log",
      metadata: { format: "csv", rows: kept.length, filters: auditFilters({ ...filter, cursor }) },
    });
    const csv = [[...columns, "diff", "metadata"].join(","), ...kept.map(csvRow)].join("\r\n");
    return c.body(`${csv}\r\n`, 200, {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="audit-${new Date().toISOString().slice(0, 10)}.csv"`,
      ...(more && last ? { "x-next-cursor": encodeCursor({ id: last.id }) } : {}),
    });
  });
}
