import { auditFromContext } from "@/audit/context";
import { auditDiff } from "@/audit/diff";
import type { App } from "@/platform/api-app";
import { protectedRoute } from "@/platform/auth";
import { idParam, jsonBody, jsonContent } from "@/platform/openapi";
import { decodeCursor, idCursor, pageQuery, pageSchema, toPage } from "@/platform/pagination";
import { channelChanges, channelSchema, newChannel, presentChannel } from "./schemas";
import { type ChannelRow, openCredentials } from "./secrets";
import { createChannel, deleteChannel, getChannel, listChannels, updateChannel } from "./service";

/**
 * What the audit log keeps of a channel change: its plain fields, and its credentials as field
 * names only (every config value counts as secret: set, changed or removed, never the value).
 */
async function channelDiff(env: Parameters<typeof openCredentials>[0], before: ChannelRow | null, after: ChannelRow) {
  const fields = ["name", "active", "queueId", "settings"];
  const credentials = auditDiff(before ? await openCredentials(env, before) : null, await openCredentials(env, after), {
    secret: "all",
  });
  return {
    ...auditDiff(before, after, { fields }),
    ...Object.fromEntries(Object.entries(credentials).map(([field, change]) => [`config.${field}`, change])),
  };
}

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
    await auditFromContext(c, {
      action: "channel.created",
      targetType: "channel",
      targetId: row.id,
      diff: await channelDiff(env, null, row),
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
    const id = c.req.valid("param").id;
    const before = await getChannel(db, principal.organizationId, id);
    const row = await updateChannel(db, env, principal.organizationId, id, input);
    await auditFromContext(c, {
      // New credentials are what an attacker with an admin session would change: findable on their own.
      action: input.config ? "channel.credentials_changed" : "channel.updated",
      targetType: "channel",
      targetId: row.id,
      diff: await channelDiff(env, before, row),
      metadata: { fields: Object.keys(input), configFields: Object.keys(input.config ?? {}) },
    });
    return c.json(await presentChannel(env, row), 200);
  });

  app.openapi(routes.remove, async (c) => {
    const { db } = c.var.services;
    const principal = c.var.principal;
    const id = c.req.valid("param").id;
    await deleteChannel(db, principal.organizationId, id);
    await auditFromContext(c, { action: "channel.deleted", targetType: "channel", targetId: id });
    return c.body(null, 204);
  });
}
