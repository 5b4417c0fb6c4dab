import type { ModelConnection } from "@/ai/client";
import type { Services } from "@/platform/services";
import { embedTexts } from "./embed";
import { hasKnowledge, nearestChunks, type ScoredChunk } from "./search";

/** A passage of the organization's knowledge base, as it goes into the prompt. */
export type KnowledgeChunk = ScoredChunk;

/** The question as embedded: the customer's newest words matter, a pasted novel does not. */
const MAX_QUERY_CHARS = 4000;

/**
 * The passages closest to what the customer asked, for the reply's prompt: the text embedded with
 * the knowledge base's model (one usage row, purpose embed) and the nearest passages kept when at
 * least KNOWLEDGE_MIN_SCORE similar. An organization without articles costs one indexed lookup.
 */
export async function retrieveKnowledge(
  services: Services,
  connection: ModelConnection,
  query: { organizationId: string; ticketId?: string | null; agentId?: string | null; text: string; limit: number },
): Promise<KnowledgeChunk[]> {
  const text = query.text.trim().slice(-MAX_QUERY_CHARS);
  if (!text || !(await hasKnowledge(services.db, query.organizationId))) return [];
  const vectors = await embedTexts(services, connection, {
    organizationId: query.organizationId,
    ticketId: query.ticketId,
    agentId: query.agentId,
    model: services.env.OPENAI_EMBEDDING_MODEL,
    input: [text],
  });
  const nearest = await nearestChunks(services.db, query.organizationId, vectors[0] as Float32Array, query.limit);
  return nearest.filter((chunk) => chunk.score >= services.env.KNOWLEDGE_MIN_SCORE);
}
