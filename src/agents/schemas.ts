import { z } from "@hono/zod-openapi";
import { agentStatuses, type agents, type Role, roles } from "@/db/schema";
import { timestamp } from "@/platform/openapi";

export const agentSchema = z
  .object({
    id: z.string().openapi({ description: "The agent's user id." }),
    name: z.string(),
    email: z.string(),
    role: z.enum(roles),
    status: z.enum(agentStatuses),
    maxConcurrent: z.number().int(),
    openTickets: z.number().int(),
    queueIds: z.array(z.string()),
    statusChangedAt: timestamp.nullable(),
    lastAssignedAt: timestamp.nullable(),
  })
  .openapi("Agent");

export const agentChanges = z
  .object({
    status: z.enum(agentStatuses),
    maxConcurrent: z.number().int().min(0).max(100),
    queueIds: z.array(z.uuid()).max(100),
  })
  .partial()
  .refine((v) => Object.keys(v).length > 0, "send at least one field");

export type Agent = z.infer<typeof agentSchema>;
export type AgentChanges = z.infer<typeof agentChanges>;

type AgentRow = typeof agents.$inferSelect;

export function presentAgent(
  row: { agent: AgentRow; name: string; email: string; role: Role; openTickets: number },
  queueIds: string[],
): Agent {
  return {
    id: row.agent.userId,
    name: row.name,
    email: row.email,
    role: row.role,
    status: row.agent.status,
    maxConcurrent: row.agent.maxConcurrent,
    openTickets: row.openTickets,
    queueIds,
    statusChangedAt: row.agent.statusChangedAt?.toISOString() ?? null,
    lastAssignedAt: row.agent.lastAssignedAt?.toISOString() ?? null,
  };
}
