import { z } from "@hono/zod-openapi";
import { auditFromContext } from "@/audit/context";
import { auditDiff } from "@/audit/diff";
import type { App } from "@/platform/api-app";
import { protectedRoute } from "@/platform/auth";
import { idParam, jsonBody, jsonContent } from "@/platform/openapi";
import { decodeCursor, idCursor, pageQuery, pageSchema, toPage } from "@/platform/pagination";
import { email, password, presentUser, role, userSchema } from "./schemas";
import { createUser, getUser, listUsers, updateUser } from "./service";

const list = protectedRoute({
  method: "get",
  path: "/api/users",
  tags: ["users"],
  summary: "List the organization's users",
  roles: ["admin", "supervisor"],
  request: { query: pageQuery },
  responses: { 200: jsonContent(pageSchema(userSchema, "UserPage"), "A page of users, newest first.") },
});

const create = protectedRoute({
  method: "post",
  path: "/api/users",
  tags: ["users"],
  summary: "Create or invite an agent, supervisor or admin",
  description:
    "Without `password` the user is invited: the response carries a one-time `inviteToken` (valid 7 days) for `POST /api/auth/accept-invite`.",
  roles: ["admin"],
  request: {
    body: jsonBody(z.object({ email, name: z.string().trim().min(1).max(200), role, password: password.optional() })),
  },
  responses: {
    201: jsonContent(z.object({ user: userSchema, inviteToken: z.string().nullable() }), "User created."),
  },
});

const get = protectedRoute({
  method: "get",
  path: "/api/users/{id}",
  tags: ["users"],
  summary: "Get a user",
  roles: ["admin", "supervisor"],
  request: { params: idParam },
  responses: { 200: jsonContent(userSchema, "The user.") },
});

const update = protectedRoute({
  method: "patch",
  path: "/api/users/{id}",
  tags: ["users"],
  summary: "Rename, change the role of, or (de)activate a user",
  roles: ["admin"],
  request: {
    params: idParam,
    body: jsonBody(
      z
        .object({ name: z.string().trim().min(1).max(200), role, active: z.boolean() })
        .partial()
        .refine((v) => Object.keys(v).length > 0, "send at least one field"),
    ),
  },
  responses: { 200: jsonContent(userSchema, "The updated user.") },
});

const deactivate = protectedRoute({
  method: "delete",
  path: "/api/users/{id}",
  tags: ["users"],
  summary: "Deactivate a user (their tokens stop working at once)",
  roles: ["admin"],
  request: { params: idParam },
  responses: { 204: { description: "Deactivated." } },
});

export function registerUserRoutes(app: App) {
  app.openapi(list, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const after = decodeCursor(cursor, idCursor)?.id;
    const rows = await listUsers(c.var.services.db, c.var.principal.organizationId, { limit, after });
    return c.json(
      toPage(rows, limit, (u) => ({ id: u.id }), presentUser),
      200,
    );
  });

  app.openapi(create, async (c) => {
    const { db } = c.var.services;
    const principal = c.var.principal;
    const { user, inviteToken } = await createUser(db, principal.organizationId, c.req.valid("json"));
    await auditFromContext(c, {
      action: inviteToken ? "user.invited" : "user.created",
      targetType: "user",
      targetId: user.id,
      diff: auditDiff(null, { email: user.email, name: user.name, role: user.role }),
      metadata: { role: user.role },
    });
    return c.json({ user: presentUser(user), inviteToken: inviteToken ?? null }, 201);
  });

  app.openapi(get, async (c) => {
    const user = await getUser(c.var.services.db, c.var.principal.organizationId, c.req.valid("param").id);
    return c.json(presentUser(user), 200);
  });

  app.openapi(update, async (c) => {
    const { db } = c.var.services;
    const principal = c.var.principal;
    const changes = c.req.valid("json");
    const { before, after } = await updateUser(db, principal.organizationId, c.req.valid("param").id, changes);
    await auditFromContext(c, {
      // A role change is a privilege change: an action of its own, easy to find.
      action: before.role !== after.role ? "user.role_changed" : "user.updated",
      targetType: "user",
      targetId: after.id,
      diff: auditDiff(before, after, { fields: ["name", "role", "active"] }),
      metadata: {
        before: { role: before.role, active: before.active },
        after: { role: after.role, active: after.active },
      },
    });
    return c.json(presentUser(after), 200);
  });

  app.openapi(deactivate, async (c) => {
    const { db } = c.var.services;
    const principal = c.var.principal;
    const { before, after } = await updateUser(db, principal.organizationId, c.req.valid("param").id, {
      active: false,
    });
    await auditFromContext(c, {
      action: "user.deactivated",
      targetType: "user",
      targetId: after.id,
      diff: auditDiff(before, after, { fields: ["active"] }),
    });
    return c.body(null, 204);
  });
}
