import type { App } from "@/platform/api-app";
import { audit } from "@/platform/audit";
import { protectedRoute } from "@/platform/auth";
import { idParam, jsonBody, jsonContent } from "@/platform/openapi";
import { decodeCursor, idCursor, pageQuery, pageSchema, toPage } from "@/platform/pagination";
import { channelChanges, channelSchema, newChannel, presentChannel } from "./schemas";
import { createChannel, deleteChannel, getChannel, listChannels, updateChannel } from "./service";

const routes = {
  create: protectedRoute({
    method: "post",
    path: "/api/channels",
    tags: ["channels"],
    summary: "Connect a channel",
    roles: ["admin"],
    request: {
      body: jsonBody(newChannel),
    },
    responses: { 201: jsonContent(channelSchema, "The channel, with the webhook URLs to configure.") },
  }),
  list: protectedRoute({
    method: "get",
    path: "/api/channels",
    tags: ["channels"],
    summary: "List channels",
    roles: ["admin", "supervisor"],
    request: { query: pageQuery },
    responses: { 200: jsonContent(pageSchema(channelSchema, "ChannelPage"), "A page of channels.") },
  }),
  get: protectedRoute({
    method: "get",
    path: "/api/channels/{id}",
    tags: ["channels"],
    summary: "Get a channel",
    roles: ["admin", "supervisor"],
    request: { params: idParam },
    responses: { 200: jsonContent(channelSchema, "The channel.") },
  }),
  update: protectedRoute({
    method: "patch",
    path: "/api/channels/{id}",
    tags: ["channels"],
    summary: "Rename, re-route, reconfigure or (de)activate a channel",
    description: "`config` is merged: fields sent replace the stored ones, fields sent as empty strings are removed.",
    roles: ["admin"],
    request: {
      params: idParam,
      body: jsonBody(channelChanges),
    },
    responses: { 200: jsonContent(channelSchema, "The channel.") },
  }),
  remove: protectedRoute({
    method: "delete",
    path: "/api/channels/{id}",
    tags: ["channels"],
    summary: "Delete a channel (its tickets and messages stay)",
    roles: ["admin"],
    request: { params: idParam },
    responses: { 204: { description: "Deleted." } },
  }),
};

export function registerChannelRoutes(app: App) {
  app.openapi(routes.create, async (c) => {
    const { db, env } = c.var.services;
    const principal = c.var.principal;
    const input = c.req.valid("json");
    const row = await createChannel(db, env, principal.organizationId, input);
    await audit(db, {
      organizationId: principal.organizationId,
      actor: principal,
      action: "channel.created",
      targetType: "channel",
      targetId: row.id,
      metadata: { type: input.type },
    });
    return c.json(await presentChannel(env, row), 201);
  });

  app.openapi(routes.list, async (c) => {
    const { db, env } = c.var.services;
    const { limit, cursor } = c.req.valid("query");
    const after = decodeCursor(cursor, idCursor)?.id;
    const rows = await listChannels(db, c.var.principal.organizationId, { limit, after });
    const page = toPage(
      rows,
      limit,
      (r) => ({ id: r.id }),
      (r) => r,
    );
    return c.json(
      { data: await Promise.all(page.data.map((r) => presentChannel(env, r))), nextCursor: page.nextCursor },
      200,
    );
  });

  app.openapi(routes.get, async (c) => {
    const { db, env } = c.var.services;
    return c.json(
      await presentChannel(env, await getChannel(db, c.var.principal.organizationId, c.req.valid("param").id)),
      200,
    );
  });

  app.openapi(routes.update, async (c) => {
    const { db, env } = c.var.services;
    const principal = c.var.principal;
    const input = c.req.valid("json");
    const row = await updateChannel(db, env, principal.organizationId, c.req.valid("param").id, input);
    await audit(db, {
      organizationId: principal.organizationId,
      actor: principal,
      action: "channel.updated",
      targetType: "channel",
      targetId: row.id,
      metadata: { fields: Object.keys(input), configFields: Object.keys(input.config ?? {}) },
    });
    return c.json(await presentChannel(env, row), 200);
  });

  app.openapi(routes.remove, async (c) => {
    const { db } = c.var.services;
    const principal = c.var.principal;
    const id = c.req.valid("param").id;
    await deleteChannel(db, principal.organizationId, id);
    await audit(db, {
      organizationId: principal.organizationId,
      actor: principal,
      action: "channel.deleted",
      targetType: "channel",
      targetId: id,
    });
    return c.body(null, 204);
  });
}
