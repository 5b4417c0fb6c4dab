import { z } from "@hono/zod-openapi";
import { modelConnection } from "@/ai/model-access";
import { knowledgeStatuses } from "@/db/schema";
import { dispatch } from "@/jobs/dispatch";
import type { QueuedJob } from "@/jobs/outbox";
import type { App } from "@/platform/api-app";
import { audit } from "@/platform/audit";
import { protectedRoute } from "@/platform/auth";
import { ApiError } from "@/platform/errors";
import { idParam, jsonBody, jsonContent } from "@/platform/openapi";
import { decodeCursor, idCursor, pageQuery, pageSchema, toPage } from "@/platform/pagination";
import type { Services } from "@/platform/services";
import { embedTexts } from "./embed";
import { articleChanges, articleSchema, newArticle, presentArticle, searchBody, searchResult } from "./schemas";
import { nearestChunks } from "./search";
import {
  chunkCounts,
  createArticle,
  deleteArticle,
  getArticle,
  listArticles,
  reindexArticles,
  updateArticle,
} from "./service";

const tags = ["knowledge"];
const editors = ["admin", "supervisor"] as const;

const routes = {
  create: protectedRoute({
    method: "post",
    path: "/api/knowledge",
    tags,
    summary: "Add an article to the knowledge base",
    description:
      "The content is cut into passages and embedded by a `knowledge.embed` job (`status` pending until then). The AI agent's replies retrieve the passages closest to the customer's messages.",
    roles: [...editors],
    request: { body: jsonBody(newArticle) },
    responses: { 201: jsonContent(articleSchema, "The article.") },
  }),
  list: protectedRoute({
    method: "get",
    path: "/api/knowledge",
    tags,
    summary: "List knowledge articles, newest first",
    request: {
      query: pageQuery.extend({
        tag: z.string().trim().min(1).max(50).optional(),
        status: z.enum(knowledgeStatuses).optional(),
        q: z.string().trim().min(1).max(100).optional().openapi({ description: "Part of the title or content." }),
      }),
    },
    responses: { 200: jsonContent(pageSchema(articleSchema, "KnowledgeArticlePage"), "A page of articles.") },
  }),
  get: protectedRoute({
    method: "get",
    path: "/api/knowledge/{id}",
    tags,
    summary: "Get a knowledge article",
    request: { params: idParam },
    responses: { 200: jsonContent(articleSchema, "The article.") },
  }),
  update: protectedRoute({
    method: "patch",
    path: "/api/knowledge/{id}",
    tags,
    summary: "Edit a knowledge article",
    description: "Re-embedded only when the title or the content changes; a change of tags alone is not.",
    roles: [...editors],
    request: { params: idParam, body: jsonBody(articleChanges) },
    responses: { 200: jsonContent(articleSchema, "The article.") },
  }),
  remove: protectedRoute({
    method: "delete",
    path: "/api/knowledge/{id}",
    tags,
    summary: "Delete a knowledge article and its passages",
    roles: [...editors],
    request: { params: idParam },
    responses: { 204: { description: "Deleted." } },
  }),
  reindex: protectedRoute({
    method: "post",
    path: "/api/knowledge/reindex",
    tags,
    summary: "Embed every article whose passages are missing or stale",
    description:
      "For articles written before model access was configured, embedded with another model, or whose embedding failed. 409 without model access.",
    roles: ["admin"],
    responses: { 202: jsonContent(z.object({ queued: z.number().int() }), "Embed jobs queued.") },
  }),
  search: protectedRoute({
    method: "post",
    path: "/api/knowledge/search",
    tags,
    summary: "The passages the AI agent would retrieve for a question",
    description:
      "Embeds `query` (one embedding call, recorded as usage) and returns the nearest passages by cosine similarity, as a reply's retrieval would before its KNOWLEDGE_MIN_SCORE cut. 409 without model access.",
    request: { body: jsonBody(searchBody) },
    responses: { 200: jsonContent(searchResult, "The nearest passages, best first.") },
  }),
};

async function withChunks(services: Services, row: Awaited<ReturnType<typeof getArticle>>) {
  const counts = await chunkCounts(services.db, [row.id]);
  return presentArticle(row, counts.get(row.id) ?? 0);
}

function run(services: Services, jobs: QueuedJob[]) {
  if (jobs.length) services.waitUntil(dispatch(services, jobs));
}

export function registerKnowledgeRoutes(app: App) {
  app.openapi(routes.create, async (c) => {
    const services = c.var.services;
    const principal = c.var.principal;
    const { article, jobs } = await createArticle(
      services.db,
      services.env,
      principal.organizationId,
      c.req.valid("json"),
    );
    await audit(services.db, {
      organizationId: principal.organizationId,
      actor: principal,
      action: "knowledge.created",
      targetType: "knowledge_article",
      targetId: article.id,
    });
    run(services, jobs);
    return c.json(presentArticle(article, 0), 201);
  });

  app.openapi(routes.list, async (c) => {
    const { db } = c.var.services;
    const { limit, cursor, ...filter } = c.req.valid("query");
    const after = decodeCursor(cursor, idCursor)?.id;
    const rows = await listArticles(db, c.var.principal.organizationId, { limit, after, ...filter });
    const counts = await chunkCounts(
      db,
      rows.slice(0, limit).map((r) => r.id),
    );
    return c.json(
      toPage(
        rows,
        limit,
        (r) => ({ id: r.id }),
        (r) => presentArticle(r, counts.get(r.id) ?? 0),
      ),
      200,
    );
  });

  app.openapi(routes.get, async (c) => {
    const services = c.var.services;
    const row = await getArticle(services.db, c.var.principal.organizationId, c.req.valid("param").id);
    return c.json(await withChunks(services, row), 200);
  });

  app.openapi(routes.update, async (c) => {
    const services = c.var.services;
    const principal = c.var.principal;
    const changes = c.req.valid("json");
    const { article, jobs, reembed } = await updateArticle(
      services.db,
      services.env,
      principal.organizationId,
      c.req.valid("param").id,
      changes,
    );
    await audit(services.db, {
      organizationId: principal.organizationId,
      actor: principal,
      action: "knowledge.updated",
      targetType: "knowledge_article",
      targetId: article.id,
      metadata: { fields: Object.keys(changes), reembed },
    });
    run(services, jobs);
    return c.json(await withChunks(services, article), 200);
  });

  app.openapi(routes.remove, async (c) => {
    const services = c.var.services;
    const principal = c.var.principal;
    const id = c.req.valid("param").id;
    await deleteArticle(services.db, principal.organizationId, id);
    await audit(services.db, {
      organizationId: principal.organizationId,
      actor: principal,
      action: "knowledge.deleted",
      targetType: "knowledge_article",
      targetId: id,
    });
    return c.body(null, 204);
  });

  app.openapi(routes.reindex, async (c) => {
    const services = c.var.services;
    const jobs = await reindexArticles(services.db, services.env, c.var.principal.organizationId);
    run(services, jobs);
    return c.json({ queued: jobs.length }, 202);
  });

  app.openapi(routes.search, async (c) => {
    const services = c.var.services;
    const { organizationId } = c.var.principal;
    const { query, limit } = c.req.valid("json");
    const connection = await modelConnection(services.db, services.env, organizationId);
    if (!connection) {
      throw new ApiError("CONFLICT", "AI is not configured: set OPENAI_API_KEY or PUT /api/integrations/openai.");
    }
    const vectors = await embedTexts(services, connection, {
      organizationId,
      model: services.env.OPENAI_EMBEDDING_MODEL,
      input: [query],
    });
    const nearest = await nearestChunks(services.db, organizationId, vectors[0] as Float32Array, limit);
    return c.json(
      {
        data: nearest.map((n) => ({
          chunkId: n.id,
          articleId: n.articleId,
          title: n.title,
          content: n.content,
          score: n.score,
        })),
      },
      200,
    );
  });
}
