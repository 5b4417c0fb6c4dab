import { z } from "@hono/zod-openapi";
import { and, desc, eq, lt } from "drizzle-orm";
import { v7 as uuidv7 } from "uuid";
import { channels } from "@/db/schema";
import type { App } from "@/platform/api-app";
import { zodIssues } from "@/platform/app";
import { audit } from "@/platform/audit";
import { protectedRoute } from "@/platform/auth";
import { randomToken } from "@/platform/crypto";
import type { Executor } from "@/platform/db";
import type { Env } from "@/platform/env";
import { ApiError } from "@/platform/errors";
import { idParam, jsonBody, jsonContent, timestamp } from "@/platform/openapi";
import { decodeCursor, idCursor, pageQuery, pageSchema, toPage } from "@/platform/pagination";
import { getQueue } from "@/queues/service";
import { forgetChannel } from "./cache";
import { adapterFor } from "./registry";
import { type ChannelRow, openCredentials, openWebhookSecret, sealCredentials, sealWebhookSecret } from "./secrets";
import { channelSettings, channelSettingsPatch, readSettings } from "./settings";
import { channelTypes } from "./types";

const channelSchema = z
  .object({
    id: z.string(),
    type: z.enum(channelTypes),
    name: z.string(),
    active: z.boolean(),
    queueId: z.string().nullable(),
    settings: channelSettings,
    configured: z
      .record(z.string(), z.boolean())
      .openapi({ description: "Which credential fields are set; values are never returned." }),
    webhookUrls: z.record(z.string(), z.string()).openapi({ description: "Paste these into the provider's console." }),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .openapi("Channel");

async function present(env: Env, row: ChannelRow): Promise<z.infer<typeof channelSchema>> {
  const adapter = adapterFor(row.type);
  const config = await openCredentials(env, row);
  const fields = adapter
    ? Object.keys((adapter.configSchema as unknown as { shape: object }).shape ?? config)
    : Object.keys(config);
  return {
    id: row.id,
    type: row.type as z.infer<typeof channelSchema>["type"],
    name: row.name,
    active: row.active,
    queueId: row.queueId,
    settings: readSettings(row.settings),
    configured: Object.fromEntries(fields.map((f) => [f, Boolean(config[f])])),
    webhookUrls: adapter ? adapter.webhookUrls(env.PUBLIC_URL, row.id, await openWebhookSecret(env, row)) : {},
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function validConfig(type: string, config: unknown): Record<string, string> {
  const adapter = adapterFor(type);
  if (!adapter) throw new ApiError("VALIDATION_FAILED", `Unknown channel type ${type}.`);
  const parsed = adapter.configSchema.safeParse(config);
  if (!parsed.success) {
    throw new ApiError("VALIDATION_FAILED", `The ${type} config is invalid.`, {
      errors: zodIssues(parsed.error).map((i) => ({ ...i, path: ["config", ...i.path] })),
    });
  }
  return parsed.data;
}

async function assertQueue(db: Executor, organizationId: string, queueId: string | null | undefined) {
  if (queueId) await getQueue(db, organizationId, queueId);
}

async function getChannel(db: Executor, organizationId: string, id: string): Promise<ChannelRow> {
  const [row] = await db
    .select()
    .from(channels)
    .where(and(eq(channels.organizationId, organizationId), eq(channels.id, id)));
  if (!row) throw new ApiError("NOT_FOUND", "No such channel in this organization.");
  return row;
}

const configBody = z.record(z.string(), z.string().max(4096)).openapi({
  description:
    "whatsapp_meta: phoneNumberId, accessToken, appSecret, verifyToken · whatsapp_zapi: instanceId, instanceToken, clientToken · whatsapp_builderbot: botId, apiKey, webhookToken, apiUrl · twilio_sms: accountSid, authToken, phoneNumber · telegram: botToken, secretToken",
});

const routes = {
  create: protectedRoute({
    method: "post",
    path: "/api/channels",
    tags: ["channels"],
    summary: "Connect a channel",
    roles: ["admin"],
    request: {
      body: jsonBody(
        z.object({
          type: z.enum(channelTypes),
          name: z.string().trim().min(1).max(200),
          config: configBody,
          queueId: z.uuid().nullable().optional(),
          settings: channelSettingsPatch.optional(),
          active: z.boolean().default(true),
        }),
      ),
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
      body: jsonBody(
        z
          .object({
            name: z.string().trim().min(1).max(200),
            config: configBody,
            queueId: z.uuid().nullable(),
            settings: channelSettingsPatch,
            active: z.boolean(),
          })
          .partial(),
      ),
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
    const config = validConfig(input.type, input.config);
    await assertQueue(db, principal.organizationId, input.queueId);
    const id = uuidv7();
    const [row] = await db
      .insert(channels)
      .values({
        id,
        organizationId: principal.organizationId,
        type: input.type,
        name: input.name,
        credentials: await sealCredentials(env, id, config),
        webhookSecret: await sealWebhookSecret(env, id, randomToken(24)),
        queueId: input.queueId ?? null,
        settings: channelSettings.parse(input.settings ?? {}),
        active: input.active,
      })
      .returning();
    if (!row) throw new Error("channel insert returned nothing");
    await audit(db, {
      organizationId: principal.organizationId,
      actor: principal,
      action: "channel.created",
      targetType: "channel",
      targetId: id,
      metadata: { type: input.type },
    });
    return c.json(await present(env, row), 201);
  });

  app.openapi(routes.list, async (c) => {
    const { db, env } = c.var.services;
    const { limit, cursor } = c.req.valid("query");
    const after = decodeCursor(cursor, idCursor)?.id;
    const rows = await db
      .select()
      .from(channels)
      .where(
        and(eq(channels.organizationId, c.var.principal.organizationId), after ? lt(channels.id, after) : undefined),
      )
      .orderBy(desc(channels.id))
      .limit(limit + 1);
    const page = toPage(
      rows,
      limit,
      (r) => ({ id: r.id }),
      (r) => r,
    );
    return c.json({ data: await Promise.all(page.data.map((r) => present(env, r))), nextCursor: page.nextCursor }, 200);
  });

  app.openapi(routes.get, async (c) => {
    const { db, env } = c.var.services;
    return c.json(
      await present(env, await getChannel(db, c.var.principal.organizationId, c.req.valid("param").id)),
      200,
    );
  });

  app.openapi(routes.update, async (c) => {
    const { db, env } = c.var.services;
    const principal = c.var.principal;
    const input = c.req.valid("json");
    const row = await getChannel(db, principal.organizationId, c.req.valid("param").id);
    await assertQueue(db, principal.organizationId, input.queueId);
    const changes: Partial<ChannelRow> = {};
    if (input.name !== undefined) changes.name = input.name;
    if (input.queueId !== undefined) changes.queueId = input.queueId;
    if (input.active !== undefined) changes.active = input.active;
    if (input.settings) changes.settings = { ...readSettings(row.settings), ...input.settings };
    if (input.config) {
      const merged = Object.fromEntries(
        Object.entries({ ...(await openCredentials(env, row)), ...input.config }).filter(([, v]) => v !== ""),
      );
      changes.credentials = await sealCredentials(env, row.id, validConfig(row.type, merged));
    }
    const [updated] = await db.update(channels).set(changes).where(eq(channels.id, row.id)).returning();
    if (!updated) throw new ApiError("NOT_FOUND", "No such channel in this organization.");
    forgetChannel(row.id);
    await audit(db, {
      organizationId: principal.organizationId,
      actor: principal,
      action: "channel.updated",
      targetType: "channel",
      targetId: row.id,
      metadata: { fields: Object.keys(input), configFields: Object.keys(input.config ?? {}) },
    });
    return c.json(await present(env, updated), 200);
  });

  app.openapi(routes.remove, async (c) => {
    const { db } = c.var.services;
    const principal = c.var.principal;
    const row = await getChannel(db, principal.organizationId, c.req.valid("param").id);
    await db.delete(channels).where(eq(channels.id, row.id));
    forgetChannel(row.id);
    await audit(db, {
      organizationId: principal.organizationId,
      actor: principal,
      action: "channel.deleted",
      targetType: "channel",
      targetId: row.id,
    });
    return c.body(null, 204);
  });
}
