import { z } from "@hono/zod-openapi";
import { isTimeZone } from "@/business-hours/clock";
import { businessHours } from "@/business-hours/schema";
import { slaKinds } from "@/db/schema";
import { timestamp } from "@/platform/openapi";

const timeZone = z
  .string()
  .min(1)
  .max(64)
  .refine(isTimeZone, "an IANA time zone, e.g. America/Sao_Paulo")
  .openapi({ example: "America/Sao_Paulo" });

/** Opening hours as the API takes them: a known time zone, at least one range. */
export const slaHoursInput = businessHours
  .extend({ timezone: timeZone.default("America/Sao_Paulo") })
  .refine((h) => h.ranges.length > 0, {
    message: "at least one range (hours that never open would never fall due)",
    path: ["ranges"],
  })
  .openapi("BusinessHours", {
    example: {
      timezone: "America/Sao_Paulo",
      ranges: [1, 2, 3, 4, 5].map((day) => ({ day, start: "09:00", end: "18:00" })),
      holidays: ["2026-12-25"],
    },
  });

export const slaSettingsSchema = z
  .object({
    businessHours: slaHoursInput
      .nullable()
      .openapi({ description: "The organization's opening hours; queues may have their own." }),
    dailySummary: z
      .object({
        time: z
          .string()
          .regex(/^([01]\d|2[0-3]):[0-5]\d$/, "HH:MM")
          .openapi({ description: "Local time at which the previous local day's summary is sent.", example: "08:00" }),
        timezone: timeZone,
      })
      .nullable()
      .openapi({ description: "The daily summary (opened, resolved, breaches, median first response); null: none." }),
  })
  .openapi("SlaSettings");
export type SlaSettingsInput = z.infer<typeof slaSettingsSchema>;

export const groupings = ["queue", "agent", "day"] as const;

const compliance = z.object({
  met: z.number().int(),
  breached: z.number().int(),
  pending: z.number().int(),
  rate: z.number().nullable().openapi({ description: "met / (met + breached); null when nothing settled" }),
});
export type Compliance = z.infer<typeof compliance>;

export const complianceByKind = z.object({
  firstResponse: compliance,
  nextResponse: compliance,
  resolution: compliance,
});

export const reportQuery = z.object({
  from: z.iso.datetime().optional().openapi({ description: "Tickets created from (default: 30 days before `to`)." }),
  to: z.iso.datetime().optional().openapi({ description: "Tickets created before (default: now)." }),
  groupBy: z.enum(groupings).default("queue"),
  timezone: timeZone.optional().openapi({ description: "Days of groupBy=day, in this zone (default UTC)." }),
});

export const reportSchema = z
  .object({
    from: timestamp,
    to: timestamp,
    groupBy: z.enum(groupings),
    timezone: z.string(),
    total: complianceByKind,
    groups: z.array(
      complianceByKind.extend({
        key: z.string().nullable().openapi({
          description: "The queue id, the agent id (null: unassigned, or no queue) or the day (YYYY-MM-DD).",
        }),
        tickets: z.number().int(),
      }),
    ),
  })
  .openapi("SlaReport");

export const breachSchema = z.object({
  kind: z.enum(slaKinds),
  cycle: z.number().int(),
  dueAt: timestamp,
  breachedAt: timestamp,
});

export const ticketSlaSchema = z
  .object({
    firstResponseDueAt: timestamp.nullable(),
    nextResponseDueAt: timestamp
      .nullable()
      .openapi({ description: "While the customer waits for an answer to a message written after a reply." }),
    resolutionDueAt: timestamp.nullable(),
    cycle: z.number().int().openapi({ description: "1, plus one per reopen." }),
    breached: z.array(breachSchema).openapi({ description: "Every breach recorded for the ticket, oldest first." }),
  })
  .openapi("TicketSla");
