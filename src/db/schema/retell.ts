import { doublePrecision, index, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { at, createdAt, id, organizationId, updatedAt } from "./columns";
import { channels } from "./helpdesk";
import { organizations } from "./identity";

/**
 * The local mirror of the Retell agents an organization created through the API: what the agent
 * says and sounds like, and the remote ids that reach it at Retell with its channel's key. A
 * channel's deletion takes its mirror with it (the agents stay at Retell).
 */
export const retellAgents = pgTable(
  "retell_agents",
  {
    id: id(),
    organizationId: organizationId().references(() => organizations.id, { onDelete: "cascade" }),
    channelId: uuid()
      .notNull()
      .references(() => channels.id, { onDelete: "cascade" }),
    remoteAgentId: text().notNull(),
    /** The Retell LLM (response engine) created with the agent; deleted with it, even if the agent moved to another. */
    remoteLlmId: text(),
    name: text().notNull(),
    voiceId: text().notNull(),
    prompt: text(),
    firstMessage: text(),
    model: text(),
    temperature: doublePrecision(),
    language: text(),
    /** When the fields above were last read from (or written to) Retell. */
    syncedAt: at().notNull().defaultNow(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("retell_agents_remote_key").on(t.channelId, t.remoteAgentId),
    index("retell_agents_organization_idx").on(t.organizationId, t.id),
  ],
);
