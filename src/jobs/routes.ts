import { z } from "@hono/zod-openapi";
import { jobStatuses } from "@/db/schema";
import { fullView, listView, type PiiView, revealQuery } from "@/pii/policy";
import type { App } from "@/platform/api-app";
import { audit } from "@/platform/audit";
import { protectedRoute } from "@/platform/auth";
import { idParam, jsonContent, timestamp } from "@/platform/openapi";
import { decodeCursor, idCursor, pageQuery, pageSchema, toPage } from "@/platform/pagination";
import { dispatch } from "./dispatch";
import type { OutboxRow } from "./outbox";
import { listJobs, retryJob } from "./service";

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

// Payloads can carry what a customer wrote (message.received events): masked like any list.
const present = (row: OutboxRow, pii: PiiView): z.infer<typeof jobSchema> => ({
  id: row.id,
  name: row.name,
  status: row.status,
  attempts: row.attempts,
  maxAttempts: row.maxAttempts,
  lastError: row.lastError,
  payload: pii.deep(row.payload),
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
    query: pageQuery.extend({
      status: z.enum(jobStatuses).optional(),
      name: z.string().max(100).optional(),
      reveal: revealQuery,
    }),
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
    const { limit, cursor, status, name, reveal } = c.req.valid("query");
    const after = decodeCursor(cursor, idCursor)?.id;
    const pii = await listView(c, { name: "jobs", reveal, filters: { status, name } });
    const rows = await listJobs(c.var.services.db, c.var.principal.organizationId, { status, name }, { limit, after });
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

  app.openapi(retry, async (c) => {
    const services = c.var.services;
    const principal = c.var.principal;
    const id = c.req.valid("param").id;
    const row = await retryJob(services.db, principal.organizationId, id);
    await audit(services.db, {
      organizationId: principal.organizationId,
      actor: principal,
      action: "job.retried",
      targetType: "job",
      targetId: id,
    });
    services.waitUntil(dispatch(services, [row]));
    return c.json(present(row, fullView), 200);
  });
}
