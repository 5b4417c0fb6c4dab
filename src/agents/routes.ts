import { dispatch } from "@/jobs/dispatch";
import type { App } from "@/platform/api-app";
import { protectedRoute } from "@/platform/auth";
import { idParam, jsonBody, jsonContent } from "@/platform/openapi";
import { decodeCursor, idCursor, pageQuery, pageSchema, toPage } from "@/platform/pagination";
import { agentChanges, agentSchema } from "./schemas";
import { getAgent, listAgents, updateAgent } from "./service";

const list = protectedRoute({
  method: "get",
  path: "/api/agents",
  tags: ["agents"],
  summary: "Agents (users with role agent or supervisor) with status, capacity and queues",
  request: { query: pageQuery },
  responses: { 200: jsonContent(pageSchema(agentSchema, "AgentPage"), "A page of agents.") },
});

const get = protectedRoute({
  method: "get",
  path: "/api/agents/{id}",
  tags: ["agents"],
  summary: "Get an agent",
  request: { params: idParam },
  responses: { 200: jsonContent(agentSchema, "The agent.") },
});

const update = protectedRoute({
  method: "patch",
  path: "/api/agents/{id}",
  tags: ["agents"],
  summary: "Set status, capacity or queues",
  description:
    "Agents may set their own status; everything else needs a supervisor or admin. Coming online hands out waiting tickets.",
  request: {
    params: idParam,
    body: jsonBody(agentChanges),
  },
  responses: { 200: jsonContent(agentSchema, "The agent.") },
});

export function registerAgentRoutes(app: App) {
  app.openapi(list, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const rows = await listAgents(c.var.services.db, c.var.principal.organizationId, {
      after: decodeCursor(cursor, idCursor)?.id,
      limit,
    });
    return c.json(
      toPage(
        rows,
        limit,
        (a) => ({ id: a.id }),
        (a) => a,
      ),
      200,
    );
  });

  app.openapi(get, async (c) =>
    c.json(await getAgent(c.var.services.db, c.var.principal.organizationId, c.req.valid("param").id), 200),
  );

  app.openapi(update, async (c) => {
    const services = c.var.services;
    const id = c.req.valid("param").id;
    const jobs = await updateAgent(services.db, c.var.principal, id, c.req.valid("json"));
    if (jobs.length) services.waitUntil(dispatch(services, jobs));
    return c.json(await getAgent(services.db, c.var.principal.organizationId, id), 200);
  });
}
