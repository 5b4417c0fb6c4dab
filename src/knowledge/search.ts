import { and, eq, inArray, sql } from "drizzle-orm";
import { knowledgeArticles, knowledgeChunks } from "@/db/schema";
import type { Executor } from "@/platform/db";
import { dot, fromBytes, signBits, topK } from "./vector";

export type ScoredChunk = { id: string; articleId: string; title: string; content: string; score: number };

/** Candidates shortlisted by Hamming distance per passage returned: rescoring them exactly keeps recall near 1. */
const SHORTLIST_FACTOR = 10;
const SHORTLIST_MIN = 50;

/**
 * The organization's `limit` passages closest to `query` (a unit vector) by cosine similarity,
 * best first. Without a vector extension: PostgreSQL shortlists by the Hamming distance of the
 * sign bits (a C-speed scan of 1 bit a dimension), and the shortlist's float32 vectors are
 * rescored exactly here. Passages embedded with another dimension count (another model) are not
 * comparable and are skipped.
 */
export async function nearestChunks(
  db: Executor,
  organizationId: string,
  query: Float32Array,
  limit: number,
): Promise<ScoredChunk[]> {
  const shortlist = db
    .select({ id: knowledgeChunks.id })
    .from(knowledgeChunks)
    .where(and(eq(knowledgeChunks.organizationId, organizationId), eq(knowledgeChunks.dimensions, query.length)))
    .orderBy(sql`bit_count(${knowledgeChunks.bits} # ${signBits(query)}::bit varying)`)
    .limit(Math.max(SHORTLIST_MIN, limit * SHORTLIST_FACTOR));
  const rows = await db
    .select({
      id: knowledgeChunks.id,
      articleId: knowledgeChunks.articleId,
      title: knowledgeArticles.title,
      content: knowledgeChunks.content,
      embedding: knowledgeChunks.embedding,
    })
    .from(knowledgeChunks)
    .innerJoin(knowledgeArticles, eq(knowledgeArticles.id, knowledgeChunks.articleId))
    .where(and(eq(knowledgeChunks.organizationId, organizationId), inArray(knowledgeChunks.id, shortlist)));
  const scored = rows.map(({ embedding, ...row }) => ({ ...row, score: dot(query, fromBytes(embedding)) }));
  return topK(scored, limit);
}

/** Whether the organization has anything to retrieve: no embedding is paid for an empty knowledge base. */
export async function hasKnowledge(db: Executor, organizationId: string): Promise<boolean> {
  const rows = await db
    .select({ id: knowledgeChunks.id })
    .from(knowledgeChunks)
    .where(eq(knowledgeChunks.organizationId, organizationId))
    .limit(1);
  return rows.length > 0;
}
