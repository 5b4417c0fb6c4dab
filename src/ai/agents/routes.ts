import { dispatch } from "@/jobs/dispatch";
import type { App } from "@/platform/api-app";
import { audit } from "@/platform/audit";
import { protectedRoute } from "@/platform/auth";
import { idParam, jsonBody, jsonContent } from "@/platform/openapi";
import { decodeCursor, idCursor, pageQuery, pageSchema, toPage } from "@/platform/pagination";
import { aiAgentChanges, aiAgentSchema, newAiAgent, presentAiAgent } from "./schemas";
import {
  type AiAgentWithChannels,
  createAiAgent,
  deleteAiAgent,
  getAiAgent,
  listAiAgents,
  updateAiAgent,
} from "./service";

const present = ({ agent, channelIds }: AiAgentWithChannels) => presentAiAgent(agent, channelIds);

const routes = {
  create: protectedRoute({
    method: "post",
    path: "/api/ai/agents",
    tags: ["ai"],
    summary: "Create an AI agent that answers on some channels",
    description: "A channel has at most one active agent: 409 names the channels already covered.",
    roles: ["admin"],
    request: { body: jsonBody(newAiAgent) },
    responses: { 201: jsonContent(aiAgentSchema, "The agent.") },
  }),
  list: protectedRoute({
    method: "get",
    path: "/api/ai/agents",
    tags: ["ai"],
    summary: "List AI agents, newest first",
    roles: ["admin", "supervisor"],
    request: { query: pageQuery },
    responses: { 200: jsonContent(pageSchema(aiAgentSchema, "AiAgentPage"), "A page of agents.") },
  }),
  get: protectedRoute({
    method: "get",
    path: "/api/ai/agents/{id}",
    tags: ["ai"],
    summary: "Get an AI agent",
    roles: ["admin", "supervisor"],
    request: { params: idParam },
    responses: { 200: jsonContent(aiAgentSchema, "The agent.") },
  }),
  update: protectedRoute({
    method: "patch",
    path: "/api/ai/agents/{id}",
    tags: ["ai"],
    summary: "Change an AI agent (its channels, instructions, limits, or whether it is active)",
    description: "Tickets the bot held on a channel it no longer covers are handed out to people.",
    roles: ["admin"],
    request: { params: idParam, body: jsonBody(aiAgentChanges) },
    responses: { 200: jsonContent(aiAgentSchema, "The agent.") },
  }),
  remove: protectedRoute({
    method: "delete",
    path: "/api/ai/agents/{id}",
    tags: ["ai"],
    summary: "Delete an AI agent (the tickets it held are handed out to people)",
    roles: ["admin"],
    request: { params: idParam },
    responses: { 204: { description: "Deleted." } },
  }),
};

export function registerAiAgentRoutes(app: App) {
  app.openapi(routes.create, async (c) => {
    const { db } = c.var.services;
    const principal = c.var.principal;
    const created = await createAiAgent(db, principal.organizationId, c.req.valid("json"));
    await audit(db, {
      organizationId: principal.organizationId,
      actor: principal,
      action: "ai_agent.created",
      targetType: "ai_agent",
      targetId: created.agent.id,
      metadata: { channelIds: created.channelIds },
    });
    return c.json(present(created), 201);
  });

  app.openapi(routes.list, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const after = decodeCursor(cursor, idCursor)?.id;
    const rows = await listAiAgents(c.var.services.db, c.var.principal.organizationId, { limit, after });
    return c.json(
      toPage(rows, limit, (r) => ({ id: r.agent.id }), present),
      200,
    );
  });

  app.openapi(routes.get, async (c) => {
    const found = await getAiAgent(c.var.services.db, c.var.principal.organizationId, c.req.valid("param").id);
    return c.json(present(found), 200);
  });

  app.openapi(routes.update, async (c) => {
    const services = c.var.services;
    const principal = c.var.principal;
    const input = c.req.valid("json");
    const { jobs, ...updated } = await updateAiAgent(
      services.db,
      principal.organizationId,
      c.req.valid("param").id,
      input,
    );
    await audit(services.db, {
      organizationId: principal.organizationId,
      actor: principal,
      action: "ai_agent.updated",
      targetType: "ai_agent",
      targetId: updated.agent.id,
      metadata: { fields: Object.keys(input) },
    });
    if (jobs.length) services.waitUntil(dispatch(services, jobs));
    return c.json(present(updated), 200);
  });

  app.openapi(routes.remove, async (c) => {
    const services = c.var.services;
    const principal = c.var.principal;
    const id = c.req.valid("param").id;
    const jobs = await deleteAiAgent(services.db, principal.organizationId, id);
    await audit(services.db, {
      organizationId: principal.organizationId,
      actor: principal,
      action: "ai_agent.deleted",
      targetType: "ai_agent",
      targetId: id,
    });
    services.waitUntil(dispatch(services, jobs));
    return c.body(null, 204);
  });
}
