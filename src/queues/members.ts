import type { App } from "@/platform/api-app";
import { audit } from "@/platform/audit";
import { protectedRoute } from "@/platform/auth";
import { idParam, jsonContent } from "@/platform/openapi";
import { decodeCursor, idCursor, pageQuery, pageSchema, toPage } from "@/platform/pagination";
import { memberParams, memberSchema } from "./schemas";
import { addMember, listMembers, removeMember } from "./service";

const members = protectedRoute({
  method: "get",
  path: "/api/queues/{id}/members",
  tags: ["queues"],
  summary: "List the agents who work a queue",
  request: { params: idParam, query: pageQuery },
  responses: {
    200: jsonContent(pageSchema(memberSchema, "QueueMemberPage"), "A page of members, by user id, newest first."),
  },
});

const addMemberRoute = protectedRoute({
  method: "put",
  path: "/api/queues/{id}/members/{userId}",
  tags: ["queues"],
  summary: "Add an agent or supervisor to a queue (idempotent)",
  roles: ["admin", "supervisor"],
  request: { params: memberParams },
  responses: { 204: { description: "The user is a member." } },
});

const removeMemberRoute = protectedRoute({
  method: "delete",
  path: "/api/queues/{id}/members/{userId}",
  tags: ["queues"],
  summary: "Remove an agent from a queue",
  roles: ["admin", "supervisor"],
  request: { params: memberParams },
  responses: { 204: { description: "Removed." } },
});

/** Which agents work a queue: what assignment picks from. */
export function registerQueueMemberRoutes(app: App) {
  app.openapi(members, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const after = decodeCursor(cursor, idCursor)?.id;
    const rows = await listMembers(c.var.services.db, c.var.principal.organizationId, c.req.valid("param").id, {
      limit,
      after,
    });
    return c.json(
      toPage(
        rows,
        limit,
        (r) => ({ id: r.userId }),
        (r) => r,
      ),
      200,
    );
  });

  app.openapi(addMemberRoute, async (c) => {
    const { db } = c.var.services;
    const principal = c.var.principal;
    const { id, userId } = c.req.valid("param");
    const added = await addMember(db, principal.organizationId, id, userId);
    if (added) {
      await audit(db, {
        organizationId: principal.organizationId,
        actor: principal,
        action: "queue.member_added",
        targetType: "queue",
        targetId: id,
        metadata: { userId },
      });
    }
    return c.body(null, 204);
  });

  app.openapi(removeMemberRoute, async (c) => {
    const { db } = c.var.services;
    const principal = c.var.principal;
    const { id, userId } = c.req.valid("param");
    await removeMember(db, principal.organizationId, id, userId);
    await audit(db, {
      organizationId: principal.organizationId,
      actor: principal,
      action: "queue.member_removed",
      targetType: "queue",
      targetId: id,
      metadata: { userId },
    });
    return c.body(null, 204);
  });
}
