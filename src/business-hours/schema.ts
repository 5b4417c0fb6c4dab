import * as z from "zod";
import { isTimeZone } from "./clock";

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "HH:MM");

/**
 * Weekly opening hours in a time zone; none configured means always open. Shared by voice (is the
 * line open now?) and SLAs (due times that count only open hours: ./clock.ts).
 */
export const businessHours = z.object({
  timezone: z
    .string()
    .min(1)
    .refine(isTimeZone, "an IANA time zone, e.g. America/Sao_Paulo")
    .default("America/Sao_Paulo"),
  /** 0 = Sunday ... 6 = Saturday. An end at or before the start runs past midnight into the next day. */
  ranges: z.array(z.object({ day: z.number().int().min(0).max(6), start: hhmm, end: hhmm })).max(50),
  /** Dates (YYYY-MM-DD, in the time zone) when the line is closed all day. */
  holidays: z
    .array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/))
    .max(366)
    .default([]),
});
export type BusinessHours = z.infer<typeof businessHours>;
