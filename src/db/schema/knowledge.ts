import { sql } from "drizzle-orm";
import { customType, index, integer, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { at, createdAt, id, organizationId, updatedAt } from "./columns";
import { organizations } from "./identity";

const org = () => organizationId().references(() => organizations.id, { onDelete: "cascade" });

/** Raw bytes; the drivers hand back a Buffer (node-postgres) or a Uint8Array, both read as one. */
const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => "bytea",
  fromDriver: (value) => new Uint8Array(value.buffer, value.byteOffset, value.byteLength),
});

/** A bit string of any length, written and read as text of 0s and 1s. */
const varbit = customType<{ data: string; driverData: string }>({ dataType: () => "bit varying" });

export const knowledgeStatuses = ["pending", "embedded", "failed"] as const;
export type KnowledgeStatus = (typeof knowledgeStatuses)[number];

/**
 * An article of the organization's knowledge base. `contentHash` covers what is embedded (title
 * and content), so an edit that changes neither never re-embeds; `embeddedHash` is the version
 * the chunks hold now.
 */
export const knowledgeArticles = pgTable(
  "knowledge_articles",
  {
    id: id(),
    organizationId: org(),
    title: text().notNull(),
    content: text().notNull(),
    tags: text().array().notNull().default(sql`'{}'::text[]`),
    contentHash: text().notNull(),
    status: text().$type<KnowledgeStatus>().notNull().default("pending"),
    embeddedHash: text(),
    embeddingModel: text(),
    error: text(),
    embeddedAt: at(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("knowledge_articles_organization_idx").on(t.organizationId, t.id)],
);

/**
 * A passage of an article with its embedding: `embedding` the unit-length float32 vector
 * (little-endian) for exact cosine scoring, `bits` its signs, which PostgreSQL compares by Hamming
 * distance (`bit_count(a # b)`) to shortlist candidates without a vector extension.
 */
export const knowledgeChunks = pgTable(
  "knowledge_chunks",
  {
    id: id(),
    organizationId: org(),
    articleId: uuid()
      .notNull()
      .references(() => knowledgeArticles.id, { onDelete: "cascade" }),
    ordinal: integer().notNull(),
    content: text().notNull(),
    dimensions: integer().notNull(),
    embedding: bytea().notNull(),
    bits: varbit().notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("knowledge_chunks_article_key").on(t.articleId, t.ordinal),
    index("knowledge_chunks_organization_idx").on(t.organizationId, t.dimensions),
  ],
);
