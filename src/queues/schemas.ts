import { z } from "@hono/zod-openapi";
import { agentStatuses, type queues } from "@/db/schema";
import { timestamp } from "@/platform/openapi";

/** Up to a year: anything longer is a typo, not a service level. */
const slaMinutes = z.number().int().positive().max(525_600).nullable();

export const queueInput = z.object({
  name: z.string().trim().min(1).max(100).openapi({ example: "Billing" }),
  description: z.string().trim().max(1000).nullable(),
  slaFirstResponseMinutes: slaMinutes.openapi({ description: "Target minutes to the first agent reply." }),
  slaResolutionMinutes: slaMinutes.openapi({ description: "Target minutes to resolution." }),
});

export const queueSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    slaFirstResponseMinutes: z.number().int().nullable(),
    slaResolutionMinutes: z.number().int().nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .openapi("Queue");

export const memberSchema = z
  .object({
    userId: z.string(),
    name: z.string(),
    email: z.string(),
    status: z.enum(agentStatuses),
    maxConcurrent: z.number().int(),
  })
  .openapi("QueueMember");

export const memberParams = z.object({
  id: z.uuid().openapi({ param: { name: "id", in: "path" }, description: "The queue." }),
  userId: z.uuid().openapi({ param: { name: "userId", in: "path" }, description: "The agent's user id." }),
});

export type QueueRow = typeof queues.$inferSelect;

export function presentQueue(row: QueueRow): z.infer<typeof queueSchema> {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    slaFirstResponseMinutes: row.slaFirstResponseMinutes,
    slaResolutionMinutes: row.slaResolutionMinutes,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
