import { and, arrayContains, desc, eq, lt, or, sql } from "drizzle-orm";
import { modelConnection } from "@/ai/model-access";
import { knowledgeArticles, knowledgeChunks } from "@/db/schema";
import type { NewJob } from "@/jobs/outbox";
import { enqueue, type QueuedJob } from "@/jobs/outbox";
import { sha256Hex } from "@/platform/crypto";
import type { Executor } from "@/platform/db";
import type { Env } from "@/platform/env";
import { ApiError } from "@/platform/errors";
import { containing } from "@/platform/like";

export type ArticleRow = typeof knowledgeArticles.$inferSelect;
export type ArticleInput = { title: string; content: string; tags?: string[] };

/** What is embedded, hashed: an edit that changes neither title nor content never re-embeds. */
export const articleHash = (title: string, content: string) => sha256Hex(`${title}\n\n${content}`);

/**
 * One embed job per article version and model; a reindex (`round`) may ask again for a version
 * whose job failed for good. The job itself skips a version already embedded.
 */
export function embedJob(
  article: Pick<ArticleRow, "id" | "organizationId" | "contentHash">,
  model: string,
  round = "",
): NewJob {
  return {
    name: "knowledge.embed",
    organizationId: article.organizationId,
    payload: { articleId: article.id, contentHash: article.contentHash },
    dedupeKey: `knowledge.embed:${article.id}:${article.contentHash}:${model}${round}`,
    maxAttempts: 6,
  };
}

/** The embed job of an article whose chunks are not its current version; none without model access. */
async function embedIfNeeded(db: Executor, env: Env, article: ArticleRow): Promise<QueuedJob[]> {
  if (article.embeddedHash === article.contentHash && article.embeddingModel === env.OPENAI_EMBEDDING_MODEL) return [];
  if (!(await modelConnection(db, env, article.organizationId))) return [];
  return enqueue(db, [embedJob(article, env.OPENAI_EMBEDDING_MODEL)]);
}

export async function createArticle(
  db: Executor,
  env: Env,
  organizationId: string,
  input: ArticleInput,
): Promise<{ article: ArticleRow; jobs: QueuedJob[] }> {
  const [article] = await db
    .insert(knowledgeArticles)
    .values({
      organizationId,
      title: input.title,
      content: input.content,
      tags: input.tags ?? [],
      contentHash: await articleHash(input.title, input.content),
    })
    .returning();
  if (!article) throw new Error("insert returned no row");
  return { article, jobs: await embedIfNeeded(db, env, article) };
}

export async function getArticle(db: Executor, organizationId: string, id: string): Promise<ArticleRow> {
  const [article] = await db
    .select()
    .from(knowledgeArticles)
    .where(and(eq(knowledgeArticles.organizationId, organizationId), eq(knowledgeArticles.id, id)));
  if (!article) throw new ApiError("NOT_FOUND", "No such knowledge article in this organization.");
  return article;
}

export async function listArticles(
  db: Executor,
  organizationId: string,
  filter: { limit: number; after?: string; tag?: string; q?: string; status?: ArticleRow["status"] },
): Promise<ArticleRow[]> {
  const q = filter.q ? containing(filter.q) : undefined;
  return db
    .select()
    .from(knowledgeArticles)
    .where(
      and(
        eq(knowledgeArticles.organizationId, organizationId),
        filter.tag ? arrayContains(knowledgeArticles.tags, [filter.tag]) : undefined,
        filter.status ? eq(knowledgeArticles.status, filter.status) : undefined,
        q ? or(sql`${knowledgeArticles.title} ilike ${q}`, sql`${knowledgeArticles.content} ilike ${q}`) : undefined,
        filter.after ? lt(knowledgeArticles.id, filter.after) : undefined,
      ),
    )
    .orderBy(desc(knowledgeArticles.id))
    .limit(filter.limit + 1);
}

export async function updateArticle(
  db: Executor,
  env: Env,
  organizationId: string,
  id: string,
  patch: Partial<ArticleInput>,
): Promise<{ article: ArticleRow; jobs: QueuedJob[]; reembed: boolean }> {
  const current = await getArticle(db, organizationId, id);
  const title = patch.title ?? current.title;
  const content = patch.content ?? current.content;
  const contentHash = await articleHash(title, content);
  const reembed = contentHash !== current.contentHash;
  const [article] = await db
    .update(knowledgeArticles)
    .set({
      title,
      content,
      tags: patch.tags ?? current.tags,
      contentHash,
      ...(reembed ? { status: "pending" as const, error: null } : {}),
    })
    .where(and(eq(knowledgeArticles.organizationId, organizationId), eq(knowledgeArticles.id, id)))
    .returning();
  if (!article) throw new ApiError("NOT_FOUND", "No such knowledge article in this organization.");
  return { article, jobs: reembed ? await embedIfNeeded(db, env, article) : [], reembed };
}

export async function deleteArticle(db: Executor, organizationId: string, id: string): Promise<void> {
  const deleted = await db
    .delete(knowledgeArticles)
    .where(and(eq(knowledgeArticles.organizationId, organizationId), eq(knowledgeArticles.id, id)))
    .returning({ id: knowledgeArticles.id });
  if (!deleted.length) throw new ApiError("NOT_FOUND", "No such knowledge article in this organization.");
}

/** Embed jobs for every article whose chunks are stale (after model access is configured, or the model changed). */
export async function reindexArticles(db: Executor, env: Env, organizationId: string): Promise<QueuedJob[]> {
  if (!(await modelConnection(db, env, organizationId))) {
    throw new ApiError("CONFLICT", "AI is not configured: set OPENAI_API_KEY or PUT /api/integrations/openai.");
  }
  const stale = await db
    .select()
    .from(knowledgeArticles)
    .where(
      and(
        eq(knowledgeArticles.organizationId, organizationId),
        or(
          sql`${knowledgeArticles.embeddedHash} is distinct from ${knowledgeArticles.contentHash}`,
          sql`${knowledgeArticles.embeddingModel} is distinct from ${env.OPENAI_EMBEDDING_MODEL}`,
        ),
      ),
    );
  const round = `:reindex:${Date.now()}`;
  return enqueue(
    db,
    stale.map((article) => embedJob(article, env.OPENAI_EMBEDDING_MODEL, round)),
  );
}

export async function chunkCounts(db: Executor, articleIds: string[]): Promise<Map<string, number>> {
  if (!articleIds.length) return new Map();
  const rows = await db
    .select({ articleId: knowledgeChunks.articleId, n: sql<number>`count(*)::int` })
    .from(knowledgeChunks)
    .where(sql`${knowledgeChunks.articleId} in ${articleIds}`)
    .groupBy(knowledgeChunks.articleId);
  return new Map(rows.map((r) => [r.articleId, r.n]));
}
