import { z } from "@hono/zod-openapi";
import { agentStatuses, type queues } from "@/db/schema";
import { timestamp } from "@/platform/openapi";
import { slaHoursInput } from "@/sla/schemas";

/** Up to a year: anything longer is a typo, not a service level. */
const slaMinutes = z.number().int().positive().max(525_600).nullable();

export const queueInput = z.object({
  name: z.string().trim().min(1).max(100).openapi({ example: "Billing" }),
  description: z.string().trim().max(1000).nullable(),
  slaFirstResponseMinutes: slaMinutes.openapi({ description: "Target minutes to the first agent reply." }),
  slaResolutionMinutes: slaMinutes.openapi({ description: "Target minutes to resolution." }),
  // SLA alerts (src/sla).
  slaNextResponseMinutes: slaMinutes.openapi({
    description: "Target minutes to answer a customer who wrote again after a reply.",
  }),
  slaWarningPercent: z
    .number()
    .int()
    .min(1)
    .max(99)
    .openapi({ description: "Share of a target's time after which a warning is raised (default 80)." }),
  slaOnlyDuringBusinessHours: z
    .boolean()
    .openapi({ description: "Count only opening hours (the queue's, else the organization's) toward the targets." }),
  businessHours: slaHoursInput
    .nullable()
    .openapi({ description: "The queue's own opening hours; null: the organization's (PUT /api/sla/settings)." }),
});

export const queueSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    slaFirstResponseMinutes: z.number().int().nullable(),
    slaResolutionMinutes: z.number().int().nullable(),
    slaNextResponseMinutes: z.number().int().nullable(),
    slaWarningPercent: z.number().int(),
    slaOnlyDuringBusinessHours: z.boolean(),
    businessHours: slaHoursInput.nullable(),
    slackOverride: z
      .boolean()
      .openapi({ description: "Whether the queue's alerts go to its own Slack webhook (PUT /api/queues/{id}/slack)." }),
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
    slaNextResponseMinutes: row.slaNextResponseMinutes,
    slaWarningPercent: row.slaWarningPercent,
    slaOnlyDuringBusinessHours: row.slaOnlyDuringBusinessHours,
    businessHours: row.businessHours,
    slackOverride: row.slackWebhook !== null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
