import { z } from "@hono/zod-openapi";
import type { App } from "@/platform/api-app";
import { audit } from "@/platform/audit";
import { protectedRoute } from "@/platform/auth";
import { idParam, jsonBody, jsonContent, problemSchema, timestamp } from "@/platform/openapi";
import { decodeCursor, idCursor, pageQuery, pageSchema, toPage } from "@/platform/pagination";
import { createAgent, deleteAgent, listAgents, type RetellAgentRow, refreshAgent } from "./agents";

const agentSchema = z
  .object({
    id: z.string(),
    channelId: z.string(),
    remoteAgentId: z.string().openapi({ description: "Retell's agent_id (override_agent_id of a call)." }),
    remoteLlmId: z
      .string()
      .nullable()
      .openapi({ description: "The Retell LLM created as the agent's response engine." }),
    name: z.string(),
    voiceId: z.string(),
    prompt: z.string().nullable(),
    firstMessage: z.string().nullable(),
    model: z.string().nullable(),
    temperature: z.number().nullable(),
    language: z.string().nullable(),
    syncedAt: timestamp.openapi({ description: "When the fields were last read from or written to Retell." }),
    stale: z.boolean().openapi({ description: "True when Retell could not be reached and the mirror answered." }),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .openapi("RetellAgent");

const newAgent = z
  .object({
    channelId: z
      .uuid()
      .optional()
      .openapi({ description: "The retell channel whose key is used; default: the only one." }),
    name: z.string().trim().min(1).max(200).openapi({ example: "Assistente de Vendas" }),
    voiceId: z.string().trim().min(1).max(200).openapi({ example: "11labs-Adrian" }),
    prompt: z.string().trim().min(1).max(50_000).openapi({ description: "The agent's instructions (general_prompt)." }),
    firstMessage: z.string().trim().max(2000).optional().openapi({ description: "What the agent says first." }),
    model: z.string().trim().min(1).max(100).optional().openapi({ example: "gpt-4.1" }),
    temperature: z.number().min(0).max(1).optional(),
    language: z.string().trim().min(2).max(20).optional().openapi({ example: "pt-BR" }),
  })
  .openapi("NewRetellAgent");

const badGateway = {
  description: "Retell did not answer (timeout, 5xx).",
  content: { "application/problem+json": { schema: problemSchema } },
};

const routes = {
  create: protectedRoute({
    method: "post",
    path: "/api/retell/agents",
    tags: ["retell"],
    summary: "Create a Retell voice agent",
    description:
      "Creates a Retell LLM (prompt, first message, model, temperature) and an agent answering with it, whose call events go to the channel's webhook URL; the agent is mirrored locally.",
    roles: ["admin", "supervisor"],
    request: { body: jsonBody(newAgent) },
    responses: { 201: jsonContent(agentSchema, "The agent, as Retell created it."), 502: badGateway },
  }),
  list: protectedRoute({
    method: "get",
    path: "/api/retell/agents",
    tags: ["retell"],
    summary: "List the organization's Retell agents (the local mirror)",
    request: { query: pageQuery.extend({ channelId: z.uuid().optional() }) },
    responses: { 200: jsonContent(pageSchema(agentSchema, "RetellAgentPage"), "A page of agents, newest first.") },
  }),
  get: protectedRoute({
    method: "get",
    path: "/api/retell/agents/{id}",
    tags: ["retell"],
    summary: "Get a Retell agent, refreshed from Retell",
    description:
      "404 when the agent was deleted at Retell (the mirror goes too); `stale: true` when Retell is unreachable.",
    request: { params: idParam },
    responses: { 200: jsonContent(agentSchema, "The agent.") },
  }),
  remove: protectedRoute({
    method: "delete",
    path: "/api/retell/agents/{id}",
    tags: ["retell"],
    summary: "Delete a Retell agent (at Retell, then the mirror)",
    roles: ["admin", "supervisor"],
    request: { params: idParam },
    responses: { 204: { description: "Deleted (or already gone at Retell)." }, 502: badGateway },
  }),
};

function present(row: RetellAgentRow, stale = false): z.infer<typeof agentSchema> {
  return {
    id: row.id,
    channelId: row.channelId,
    remoteAgentId: row.remoteAgentId,
    remoteLlmId: row.remoteLlmId,
    name: row.name,
    voiceId: row.voiceId,
    prompt: row.prompt,
    firstMessage: row.firstMessage,
    model: row.model,
    temperature: row.temperature,
    language: row.language,
    syncedAt: row.syncedAt.toISOString(),
    stale,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function registerRetellAgentRoutes(app: App) {
  app.openapi(routes.create, async (c) => {
    const services = c.var.services;
    const principal = c.var.principal;
    const row = await createAgent(services, principal.organizationId, c.req.valid("json"));
    await audit(services.db, {
      organizationId: principal.organizationId,
      actor: principal,
      action: "retell_agent.created",
      targetType: "retell_agent",
      targetId: row.id,
      metadata: { remoteAgentId: row.remoteAgentId, channelId: row.channelId },
    });
    return c.json(present(row), 201);
  });

  app.openapi(routes.list, async (c) => {
    const { limit, cursor, channelId } = c.req.valid("query");
    const after = decodeCursor(cursor, idCursor)?.id;
    const rows = await listAgents(c.var.services.db, c.var.principal.organizationId, { limit, after, channelId });
    return c.json(
      toPage(
        rows,
        limit,
        (r) => ({ id: r.id }),
        (r) => present(r),
      ),
      200,
    );
  });

  app.openapi(routes.get, async (c) => {
    const { row, stale } = await refreshAgent(c.var.services, c.var.principal.organizationId, c.req.valid("param").id);
    return c.json(present(row, stale), 200);
  });

  app.openapi(routes.remove, async (c) => {
    const services = c.var.services;
    const principal = c.var.principal;
    const { id } = c.req.valid("param");
    await deleteAgent(services, principal.organizationId, id);
    await audit(services.db, {
      organizationId: principal.organizationId,
      actor: principal,
      action: "retell_agent.deleted",
      targetType: "retell_agent",
      targetId: id,
    });
    return c.body(null, 204);
  });
}
