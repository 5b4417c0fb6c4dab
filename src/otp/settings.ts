import { z } from "@hono/zod-openapi";
import { eq, sql } from "drizzle-orm";
import { organizations } from "@/db/schema";
import type { Executor } from "@/platform/db";
import type { Env } from "@/platform/env";
import { OTP_LONGEST_WINDOW_SECONDS } from "./limits";

const DEFAULT_TEXT = "Seu código de verificação é {code}. Ele vale {minutes} min. Não o compartilhe com ninguém.";

/** An organization's one-time-code rules, kept in organizations.settings.otp over the deployment's env. */
export const otpSettingsSchema = z
  .object({
    ttlSeconds: z
      .number()
      .int()
      .min(30)
      .max(600)
      .openapi({ description: "Lifetime of a code (OTP_TTL_SECONDS); at most 10 minutes." }),
    maxAttempts: z
      .number()
      .int()
      .min(1)
      .max(10)
      .openapi({ description: "Checks of one code (OTP_MAX_ATTEMPTS); then even the right code fails." }),
    rateLimitMax: z
      .number()
      .int()
      .min(1)
      .max(20)
      .openapi({ description: "Codes per phone and purpose in the window (OTP_RATE_LIMIT_MAX)." }),
    rateLimitWindowSeconds: z
      .number()
      .int()
      .min(60)
      .max(OTP_LONGEST_WINDOW_SECONDS)
      .openapi({ description: "The sliding window of rateLimitMax (OTP_RATE_LIMIT_WINDOW_SECONDS)." }),
    orgMaxPerHour: z.number().int().min(1).max(1_000_000).openapi({
      description:
        "Codes the organization may send per clock hour (UTC). Capped by the deployment's OTP_ORG_MAX_PER_HOUR.",
    }),
    smsText: z
      .string()
      .trim()
      .min(1)
      .max(320)
      .refine((v) => v.includes("{code}"), "must contain {code}")
      .openapi({ description: "The text of SMS and WhatsApp text sends: {code} and {minutes} are filled in." }),
    whatsappTemplate: z.string().trim().min(1).max(512).nullable().openapi({
      description:
        "The approved WhatsApp authentication template that carries codes where WhatsApp's 24-hour window applies: its name on the Cloud API, its Content SID (HX...) for a Twilio WhatsApp sender. The code fills its one body variable (and the Cloud API's copy-code button).",
    }),
    whatsappTemplateLanguage: z.string().trim().min(2).max(15).openapi({ example: "pt_BR" }),
  })
  .openapi("OtpSettings");
export type OtpSettings = z.infer<typeof otpSettingsSchema>;

export const otpSettingsChanges = otpSettingsSchema
  .partial()
  .refine((v) => Object.keys(v).length > 0, "send at least one field")
  .openapi("OtpSettingsChanges");

export async function readOtpSettings(db: Executor, env: Env, organizationId: string): Promise<OtpSettings> {
  const [org] = await db
    .select({ otp: sql<unknown>`${organizations.settings} -> 'otp'` })
    .from(organizations)
    .where(eq(organizations.id, organizationId));
  const own = otpSettingsSchema.partial().safeParse(org?.otp ?? {});
  const settings: OtpSettings = {
    ttlSeconds: env.OTP_TTL_SECONDS,
    maxAttempts: env.OTP_MAX_ATTEMPTS,
    rateLimitMax: env.OTP_RATE_LIMIT_MAX,
    rateLimitWindowSeconds: env.OTP_RATE_LIMIT_WINDOW_SECONDS,
    orgMaxPerHour: env.OTP_ORG_MAX_PER_HOUR,
    smsText: DEFAULT_TEXT,
    whatsappTemplate: null,
    whatsappTemplateLanguage: "pt_BR",
    ...(own.success ? own.data : {}),
  };
  // The ceiling protects the deployment (SMS pumping through a leaked key): never above its own.
  return { ...settings, orgMaxPerHour: Math.min(settings.orgMaxPerHour, env.OTP_ORG_MAX_PER_HOUR) };
}

/** Applies a change: fields sent replace the stored ones; only the "otp" key is written. */
export async function writeOtpSettings(
  db: Executor,
  env: Env,
  organizationId: string,
  changes: Partial<OtpSettings>,
): Promise<OtpSettings> {
  const [org] = await db
    .select({ otp: sql<unknown>`${organizations.settings} -> 'otp'` })
    .from(organizations)
    .where(eq(organizations.id, organizationId));
  const stored = otpSettingsSchema.partial().safeParse(org?.otp ?? {});
  const next = { ...(stored.success ? stored.data : {}), ...changes };
  await db
    .update(organizations)
    .set({ settings: sql`${organizations.settings} || jsonb_build_object('otp', ${JSON.stringify(next)}::jsonb)` })
    .where(eq(organizations.id, organizationId));
  return readOtpSettings(db, env, organizationId);
}
