import { z } from "@hono/zod-openapi";
import { and, desc, eq, inArray, lt } from "drizzle-orm";
import { jobStatuses, outbox } from "@/db/schema";
import type { App } from "@/platform/api-app";
import { audit } from "@/platform/audit";
import { protectedRoute } from "@/platform/auth";
import { ApiError } from "@/platform/errors";
import { idParam, jsonContent, timestamp } from "@/platform/openapi";
import { decodeCursor, idCursor, pageQuery, pageSchema, toPage } from "@/platform/pagination";
import { dispatch } from "./dispatch";
import type { OutboxRow } from "./outbox";

const jobSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    status: z.enum(jobStatuses),
    attempts: z.number().int(),
    maxAttempts: z.number().int(),
    lastError: z.string().nullable(),
    payload: z.record(z.string(), z.unknown()),
    nextAttemptAt: timestamp,
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .openapi("Job");

const present = (row: OutboxRow): z.infer<typeof jobSchema> => ({
  id: row.id,
  name: row.name,
  status: row.status,
  attempts: row.attempts,
  maxAttempts: row.maxAttempts,
  lastError: row.lastError,
  payload: row.payload,
  nextAttemptAt: row.nextAttemptAt.toISOString(),
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

const list = protectedRoute({
  method: "get",
  path: "/api/jobs",
  tags: ["jobs"],
  summary: "Background jobs, e.g. dead letters (?status=dead)",
  roles: ["admin"],
  request: {
    query: pageQuery.extend({ status: z.enum(jobStatuses).optional(), name: z.string().max(100).optional() }),
  },
  responses: { 200: jsonContent(pageSchema(jobSchema, "JobPage"), "A page of jobs, newest first.") },
});

const retry = protectedRoute({
  method: "post",
  path: "/api/jobs/{id}/retry",
  tags: ["jobs"],
  summary: "Run a dead (or failed) job again from its first attempt",
  roles: ["admin"],
  request: { params: idParam },
  responses: { 200: jsonContent(jobSchema, "The job, pending again.") },
});

export function registerJobRoutes(app: App) {
  app.openapi(list, async (c) => {
    const { limit, cursor, status, name } = c.req.valid("query");
    const after = decodeCursor(cursor, idCursor)?.id;
    const rows = await c.var.services.db
      .select()
      .from(outbox)
      .where(
        and(
          eq(outbox.organizationId, c.var.principal.organizationId),
          status ? eq(outbox.status, status) : undefined,
          name ? eq(outbox.name, name) : undefined,
          after ? lt(outbox.id, after) : undefined,
        ),
      )
      .orderBy(desc(outbox.id))
      .limit(limit + 1);
    return c.json(
      toPage(rows, limit, (r) => ({ id: r.id }), present),
      200,
    );
  });

  app.openapi(retry, async (c) => {
    const services = c.var.services;
    const principal = c.var.principal;
    const id = c.req.valid("param").id;
    const [row] = await services.db
      .update(outbox)
      .set({ status: "pending", attempts: 0, nextAttemptAt: new Date(), lockedUntil: null })
      .where(
        and(
          eq(outbox.organizationId, principal.organizationId),
          eq(outbox.id, id),
          inArray(outbox.status, ["dead", "failed"]),
        ),
      )
      .returning();
    if (!row) {
      const [exists] = await services.db
        .select({ status: outbox.status })
        .from(outbox)
        .where(and(eq(outbox.organizationId, principal.organizationId), eq(outbox.id, id)));
      if (!exists) throw new ApiError("NOT_FOUND", "No such job in this organization.");
      throw new ApiError("CONFLICT", `Only dead or failed jobs can be retried; this one is ${exists.status}.`);
    }
    await audit(services.db, {
      organizationId: principal.organizationId,
      actor: principal,
      action: "job.retried",
      targetType: "job",
      targetId: id,
    });
    services.waitUntil(dispatch(services, [row]));
    return c.json(present(row), 200);
  });
}
