import { z } from "@hono/zod-openapi";
import type { aiAgents } from "@/db/schema";
import { timestamp } from "@/platform/openapi";

export const DEFAULT_MODEL = "gpt-4o-mini";

const fields = {
  name: z.string().trim().min(1).max(200),
  instructions: z
    .string()
    .trim()
    .min(1)
    .max(20_000)
    .openapi({ description: "What the bot is for and how it speaks: the business's own system prompt." }),
  model: z.string().trim().min(1).max(200).openapi({ example: DEFAULT_MODEL }),
  temperature: z.number().min(0).max(2).nullable(),
  channelIds: z.array(z.uuid()).max(100).openapi({ description: "The channels it answers on." }),
  handoffQueueId: z.uuid().nullable().openapi({ description: "Where hand-offs go; else the channel's queue." }),
  historyWindow: z.number().int().min(1).max(100).openapi({ description: "Messages of the ticket in the prompt." }),
  debounceSeconds: z
    .number()
    .int()
    .min(0)
    .max(120)
    .openapi({ description: "Messages this close together get one reply, after this much quiet." }),
  knowledge: z.boolean().openapi({ description: "Whether the knowledge base goes into the prompt." }),
  active: z.boolean(),
};

export const newAiAgent = z
  .object({
    ...fields,
    model: fields.model.default(DEFAULT_MODEL),
    temperature: fields.temperature.optional(),
    handoffQueueId: fields.handoffQueueId.optional(),
    historyWindow: fields.historyWindow.default(20),
    debounceSeconds: fields.debounceSeconds.default(4),
    knowledge: fields.knowledge.default(true),
    active: fields.active.default(true),
  })
  .openapi("NewAiAgent");
export type NewAiAgent = z.infer<typeof newAiAgent>;

export const aiAgentChanges = z
  .object(fields)
  .partial()
  .refine((v) => Object.keys(v).length > 0, "send at least one field")
  .openapi("AiAgentChanges");
export type AiAgentChanges = z.infer<typeof aiAgentChanges>;

export const aiAgentSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    instructions: z.string(),
    model: z.string(),
    temperature: z.number().nullable(),
    channelIds: z.array(z.string()),
    handoffQueueId: z.string().nullable(),
    historyWindow: z.number().int(),
    debounceSeconds: z.number().int(),
    knowledge: z.boolean(),
    active: z.boolean(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .openapi("AiAgent");

export type AiAgentRow = typeof aiAgents.$inferSelect;

export function presentAiAgent(row: AiAgentRow, channelIds: string[]): z.infer<typeof aiAgentSchema> {
  return {
    id: row.id,
    name: row.name,
    instructions: row.instructions,
    model: row.model,
    temperature: row.temperature,
    channelIds,
    handoffQueueId: row.handoffQueueId,
    historyWindow: row.historyWindow,
    debounceSeconds: row.debounceSeconds,
    knowledge: row.knowledge,
    active: row.active,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
