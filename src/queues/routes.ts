import type { App } from "@/platform/api-app";
import { audit } from "@/platform/audit";
import { protectedRoute } from "@/platform/auth";
import { idParam, jsonBody, jsonContent } from "@/platform/openapi";
import { decodeCursor, idCursor, pageQuery, pageSchema, toPage } from "@/platform/pagination";
import { registerQueueMemberRoutes } from "./members";
import { presentQueue, queueInput, queueSchema } from "./schemas";
import { createQueue, deleteQueue, getQueue, listQueues, updateQueue } from "./service";

const list = protectedRoute({
  method: "get",
  path: "/api/queues",
  tags: ["queues"],
  summary: "List the organization's queues",
  request: { query: pageQuery },
  responses: { 200: jsonContent(pageSchema(queueSchema, "QueuePage"), "A page of queues, newest first.") },
});

const create = protectedRoute({
  method: "post",
  path: "/api/queues",
  tags: ["queues"],
  summary: "Create a queue",
  roles: ["admin", "supervisor"],
  request: {
    body: jsonBody(
      queueInput.partial({
        description: true,
        slaFirstResponseMinutes: true,
        slaResolutionMinutes: true,
        slaNextResponseMinutes: true,
        slaWarningPercent: true,
        slaOnlyDuringBusinessHours: true,
        businessHours: true,
      }),
    ),
  },
  responses: { 201: jsonContent(queueSchema, "The queue.") },
});

const get = protectedRoute({
  method: "get",
  path: "/api/queues/{id}",
  tags: ["queues"],
  summary: "Get a queue",
  request: { params: idParam },
  responses: { 200: jsonContent(queueSchema, "The queue.") },
});

const update = protectedRoute({
  method: "patch",
  path: "/api/queues/{id}",
  tags: ["queues"],
  summary: "Rename a queue or change its service levels",
  roles: ["admin", "supervisor"],
  request: {
    params: idParam,
    body: jsonBody(queueInput.partial().refine((v) => Object.keys(v).length > 0, "send at least one field")),
  },
  responses: { 200: jsonContent(queueSchema, "The updated queue.") },
});

const remove = protectedRoute({
  method: "delete",
  path: "/api/queues/{id}",
  tags: ["queues"],
  summary: "Delete a queue that has no open or pending tickets",
  roles: ["admin", "supervisor"],
  request: { params: idParam },
  responses: { 204: { description: "Deleted." } },
});

export function registerQueueRoutes(app: App) {
  app.openapi(list, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const after = decodeCursor(cursor, idCursor)?.id;
    const rows = await listQueues(c.var.services.db, c.var.principal.organizationId, { limit, after });
    return c.json(
      toPage(rows, limit, (r) => ({ id: r.id }), presentQueue),
      200,
    );
  });

  app.openapi(create, async (c) => {
    const { db } = c.var.services;
    const principal = c.var.principal;
    const queue = await createQueue(db, principal.organizationId, c.req.valid("json"));
    await audit(db, {
      organizationId: principal.organizationId,
      actor: principal,
      action: "queue.created",
      targetType: "queue",
      targetId: queue.id,
      metadata: { name: queue.name },
    });
    return c.json(presentQueue(queue), 201);
  });

  app.openapi(get, async (c) => {
    const queue = await getQueue(c.var.services.db, c.var.principal.organizationId, c.req.valid("param").id);
    return c.json(presentQueue(queue), 200);
  });

  app.openapi(update, async (c) => {
    const { db } = c.var.services;
    const principal = c.var.principal;
    const changes = c.req.valid("json");
    const queue = await updateQueue(db, principal.organizationId, c.req.valid("param").id, changes);
    await audit(db, {
      organizationId: principal.organizationId,
      actor: principal,
      action: "queue.updated",
      targetType: "queue",
      targetId: queue.id,
      metadata: { changes },
    });
    return c.json(presentQueue(queue), 200);
  });

  app.openapi(remove, async (c) => {
    const { db } = c.var.services;
    const principal = c.var.principal;
    const queue = await deleteQueue(db, principal.organizationId, c.req.valid("param").id);
    await audit(db, {
      organizationId: principal.organizationId,
      actor: principal,
      action: "queue.deleted",
      targetType: "queue",
      targetId: queue.id,
      metadata: { name: queue.name },
    });
    return c.body(null, 204);
  });

  registerQueueMemberRoutes(app);
}
