import { z } from "@hono/zod-openapi";
import { knowledgeStatuses } from "@/db/schema";
import { timestamp } from "@/platform/openapi";
import type { ArticleRow } from "./service";

const title = z.string().trim().min(1).max(200).openapi({ example: "Prazo de entrega" });
const content = z
  .string()
  .trim()
  .min(1)
  .max(100_000)
  .openapi({ example: "Entregamos em todo o Brasil em até 5 dias úteis após a confirmação do pagamento." });
const tags = z
  .array(z.string().trim().min(1).max(50))
  .max(20)
  .openapi({ example: ["logistica"] });

export const newArticle = z.object({ title, content, tags: tags.optional() }).openapi("NewKnowledgeArticle");
export const articleChanges = z
  .object({ title: title.optional(), content: content.optional(), tags: tags.optional() })
  .refine((v) => Object.keys(v).length > 0, { message: "Change at least one of title, content, tags." })
  .openapi("KnowledgeArticleChanges");

export const articleSchema = z
  .object({
    id: z.uuid(),
    title: z.string(),
    content: z.string(),
    tags: z.array(z.string()),
    status: z.enum(knowledgeStatuses).openapi({
      description:
        "pending: waiting for its knowledge.embed job (or for model access: POST /api/knowledge/reindex once configured). embedded: its passages are searchable. failed: the embedding failed for good (`error`).",
    }),
    chunks: z.number().int().openapi({ description: "Passages searchable now." }),
    embeddingModel: z.string().nullable(),
    error: z.string().nullable(),
    embeddedAt: timestamp.nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .openapi("KnowledgeArticle");

export function presentArticle(row: ArticleRow, chunks: number): z.infer<typeof articleSchema> {
  return {
    id: row.id,
    title: row.title,
    content: row.content,
    tags: row.tags,
    status: row.status,
    chunks,
    embeddingModel: row.embeddingModel,
    error: row.error,
    embeddedAt: row.embeddedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export const searchBody = z
  .object({
    query: z.string().trim().min(1).max(4000).openapi({ example: "quanto tempo demora a entrega?" }),
    limit: z.number().int().min(1).max(20).default(5),
  })
  .openapi("KnowledgeSearch");

export const searchResult = z
  .object({
    data: z.array(
      z.object({
        chunkId: z.uuid(),
        articleId: z.uuid(),
        title: z.string(),
        content: z.string(),
        score: z.number().openapi({ description: "Cosine similarity, -1 to 1." }),
      }),
    ),
  })
  .openapi("KnowledgeSearchResult");
