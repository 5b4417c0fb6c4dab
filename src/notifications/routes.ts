import { z } from "@hono/zod-openapi";
import type { App } from "@/platform/api-app";
import { protectedRoute } from "@/platform/auth";
import { idParam, jsonContent, timestamp } from "@/platform/openapi";
import { decodeCursor, idCursor, pageQuery, pageSchema, toPage } from "@/platform/pagination";
import type { Principal } from "@/platform/principal";
import { listNotifications, markAllRead, markRead, type NotificationRow } from "./service";

const notificationSchema = z
  .object({
    id: z.string(),
    type: z.string().openapi({ description: "sla.warning | sla.breached | sla.daily_summary" }),
    title: z.string(),
    body: z.string().nullable(),
    ticketId: z.string().nullable(),
    data: z.record(z.string(), z.unknown()),
    readAt: timestamp.nullable(),
    createdAt: timestamp,
  })
  .openapi("Notification");

const present = (n: NotificationRow): z.infer<typeof notificationSchema> => ({
  id: n.id,
  type: n.type,
  title: n.title,
  body: n.body,
  ticketId: n.ticketId,
  data: n.data,
  readAt: n.readAt?.toISOString() ?? null,
  createdAt: n.createdAt.toISOString(),
});

// Notifications belong to users: an API key has none of its own (an empty list, 404 on read).
const ownerOf = (principal: Principal) => ({ organizationId: principal.organizationId, userId: principal.id });

const routes = {
  list: protectedRoute({
    method: "get",
    path: "/api/notifications",
    tags: ["notifications"],
    summary: "The caller's notifications, newest first",
    request: {
      query: pageQuery.extend({
        unread: z
          .enum(["true", "false"])
          .optional()
          .transform((v) => v === "true")
          .openapi({ description: "true: only the unread ones." }),
      }),
    },
    responses: { 200: jsonContent(pageSchema(notificationSchema, "NotificationPage"), "A page of notifications.") },
  }),
  read: protectedRoute({
    method: "post",
    path: "/api/notifications/{id}/read",
    tags: ["notifications"],
    summary: "Mark one of the caller's notifications read",
    request: { params: idParam },
    responses: { 200: jsonContent(notificationSchema, "The notification.") },
  }),
  readAll: protectedRoute({
    method: "post",
    path: "/api/notifications/read-all",
    tags: ["notifications"],
    summary: "Mark every unread notification of the caller read",
    responses: { 200: jsonContent(z.object({ updated: z.number().int() }), "How many were unread.") },
  }),
};

export function registerNotificationRoutes(app: App) {
  app.openapi(routes.list, async (c) => {
    const { limit, cursor, unread } = c.req.valid("query");
    const after = decodeCursor(cursor, idCursor)?.id;
    const rows = await listNotifications(c.var.services.db, ownerOf(c.var.principal), { limit, after, unread });
    return c.json(
      toPage(rows, limit, (r) => ({ id: r.id }), present),
      200,
    );
  });

  // Before /{id}/read would matter: "read-all" is not a uuid, so the two paths never collide.
  app.openapi(routes.readAll, async (c) =>
    c.json({ updated: await markAllRead(c.var.services.db, ownerOf(c.var.principal)) }, 200),
  );

  app.openapi(routes.read, async (c) =>
    c.json(present(await markRead(c.var.services.db, ownerOf(c.var.principal), c.req.valid("param").id)), 200),
  );
}
