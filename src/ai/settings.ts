import { z } from "@hono/zod-openapi";
import { eq, sql } from "drizzle-orm";
import { organizations } from "@/db/schema";
import type { Executor } from "@/platform/db";

const price = z.object({
  inputPerMillion: z.number().min(0).max(10_000),
  outputPerMillion: z.number().min(0).max(10_000),
  perMinute: z
    .number()
    .min(0)
    .max(1_000)
    .optional()
    .openapi({ description: "USD per minute of audio (transcription)." }),
});

/** An organization's AI spending rules, kept in organizations.settings.ai. */
export const aiSettingsSchema = z
  .object({
    monthlyBudgetUsd: z.number().min(0).max(10_000_000).nullable().openapi({
      description: "Monthly cap (UTC calendar month); over it the bot hands off instead of calling the model.",
    }),
    prices: z
      .record(z.string().min(1).max(200), price)
      .openapi({ description: "USD per 1M tokens (and per audio minute) by model, over the built-in list prices." }),
  })
  .openapi("AiSettings");
type AiSettings = z.infer<typeof aiSettingsSchema>;

export const aiSettingsChanges = aiSettingsSchema
  .partial()
  .refine((v) => Object.keys(v).length > 0, "send at least one field");

const defaults: AiSettings = { monthlyBudgetUsd: null, prices: {} };

export async function readAiSettings(db: Executor, organizationId: string): Promise<AiSettings> {
  const [org] = await db
    .select({ ai: sql<unknown>`${organizations.settings} -> 'ai'` })
    .from(organizations)
    .where(eq(organizations.id, organizationId));
  const parsed = aiSettingsSchema.partial().safeParse(org?.ai ?? {});
  return { ...defaults, ...(parsed.success ? parsed.data : {}) };
}

/** Applies a change: fields sent replace the stored ones (`prices` as a whole). */
export async function writeAiSettings(
  db: Executor,
  organizationId: string,
  changes: Partial<AiSettings>,
): Promise<AiSettings> {
  const next = { ...(await readAiSettings(db, organizationId)), ...changes };
  // Only the "ai" key is written, so a concurrent change of another setting is not lost.
  await db
    .update(organizations)
    .set({ settings: sql`${organizations.settings} || jsonb_build_object('ai', ${JSON.stringify(next)}::jsonb)` })
    .where(eq(organizations.id, organizationId));
  return next;
}
