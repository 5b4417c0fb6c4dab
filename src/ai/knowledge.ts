import type { Executor } from "@/platform/db";

/** A passage of the organization's knowledge base, as it goes into the prompt. */
export type KnowledgeChunk = { id: string; title: string; content: string; score: number };

/**
 * The knowledge-base passages closest to what the customer asked: the retrieval hook of the reply
 * loop. The knowledge base (articles, chunks, embeddings, top-k by cosine similarity) is built on
 * top of this; until then there is nothing to retrieve.
 */
export async function retrieveKnowledge(
  _db: Executor,
  _query: { organizationId: string; text: string; limit: number },
): Promise<KnowledgeChunk[]> {
  return [];
}
