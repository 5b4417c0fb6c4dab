import { eq } from "drizzle-orm";
import * as z from "zod";
import { modelConnection } from "@/ai/model-access";
import { knowledgeArticles, knowledgeChunks } from "@/db/schema";
import { defineJob } from "@/jobs/define";
import { PermanentJobError } from "@/jobs/errors";
import type { Executor } from "@/platform/db";
import { cleanText } from "@/platform/text";
import { chunkText } from "./chunk";
import { embedTexts } from "./embed";
import { signBits, toBytes } from "./vector";

const payload = z.object({ articleId: z.uuid(), contentHash: z.string().min(1) });

/** The article as of this job, locked, when this version is still the one to store; null otherwise. */
async function stillCurrent(tx: Executor, articleId: string, contentHash: string) {
  const [article] = await tx.select().from(knowledgeArticles).where(eq(knowledgeArticles.id, articleId)).for("update");
  return article?.contentHash === contentHash ? article : null;
}

/**
 * Chunks an article and embeds the chunks (`/embeddings`, OPENAI_EMBEDDING_MODEL), then replaces
 * its stored chunks in one transaction. A version edited away meanwhile, or already embedded with
 * this model, is skipped: redeliveries and stale jobs never store twice or overwrite newer text.
 */
export const knowledgeEmbedJob = defineJob({
  name: "knowledge.embed",
  payload,
  async handle(services, { articleId, contentHash }) {
    const { db, env } = services;
    const [article] = await db.select().from(knowledgeArticles).where(eq(knowledgeArticles.id, articleId));
    if (!article) return { skipped: "the article is gone" };
    if (article.contentHash !== contentHash) return { skipped: "the article changed since" };
    const model = env.OPENAI_EMBEDDING_MODEL;
    if (article.embeddedHash === contentHash && article.embeddingModel === model)
      return { skipped: "already embedded" };
    const connection = await modelConnection(db, env, article.organizationId);
    if (!connection) throw new PermanentJobError("AI is not configured for this organization");
    const passages = chunkText(article.content);
    const started = performance.now();
    // The title goes with every passage: "Prazo de entrega" explains a paragraph that only says "5 dias úteis".
    const vectors = await embedTexts(services, connection, {
      organizationId: article.organizationId,
      model,
      input: passages.map((p) => `${article.title}\n\n${p}`),
    });
    const stored = await db.transaction(async (tx) => {
      const current = await stillCurrent(tx, articleId, contentHash);
      if (!current) return false;
      await tx.delete(knowledgeChunks).where(eq(knowledgeChunks.articleId, articleId));
      if (passages.length) {
        await tx.insert(knowledgeChunks).values(
          passages.map((content, ordinal) => {
            const vector = vectors[ordinal] as Float32Array;
            return {
              organizationId: article.organizationId,
              articleId,
              ordinal,
              content,
              dimensions: vector.length,
              embedding: toBytes(vector),
              bits: signBits(vector),
            };
          }),
        );
      }
      await tx
        .update(knowledgeArticles)
        .set({
          status: "embedded",
          embeddedHash: contentHash,
          embeddingModel: model,
          embeddedAt: new Date(),
          error: null,
        })
        .where(eq(knowledgeArticles.id, articleId));
      return true;
    });
    services.log.info("knowledge article embedded", {
      articleId,
      chunks: passages.length,
      dimensions: vectors[0]?.length ?? 0,
      model,
      stored,
      ms: Math.round(performance.now() - started),
    });
    return stored ? { chunks: passages.length } : { skipped: "the article changed during embedding" };
  },
  async onDead(services, { articleId, contentHash }, error) {
    await services.db.transaction(async (tx) => {
      if (!(await stillCurrent(tx, articleId, contentHash))) return;
      await tx
        .update(knowledgeArticles)
        .set({ status: "failed", error: cleanText(error).slice(0, 500) })
        .where(eq(knowledgeArticles.id, articleId));
    });
  },
});
