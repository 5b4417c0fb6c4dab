import { z } from "@hono/zod-openapi";
import { inArray, sql } from "drizzle-orm";
import { type VoiceChannelType, voiceChannelTypes } from "@/channels/types";
import { channels } from "@/db/schema";
import type { Database } from "@/platform/db";
import type { Env } from "@/platform/env";

const provider = z.object({
  channels: z
    .number()
    .int()
    .nullable()
    .openapi({ description: "Channels of this type in the deployment; null if the database did not answer." }),
  active: z.number().int().nullable(),
  apiUrl: z.enum(["default", "overridden", "none"]).openapi({
    description:
      "The provider API base URL: the provider's own, one set in the environment, or none used (webhooks only).",
  }),
});

export const voiceHealthSchema = z
  .object({
    sandbox: z
      .boolean()
      .openapi({ description: "SANDBOX=true: outbound calls are recorded as simulated, never dialed." }),
    providers: z.object({ twilio_voice: provider, retell: provider, elevenlabs: provider }),
  })
  .openapi("VoiceHealth");

/** Which voice channel types are in use and where their provider calls go; counts only, no secrets or URLs. */
export async function voiceHealth(db: Database | null, env: Env): Promise<z.infer<typeof voiceHealthSchema>> {
  const counts = new Map<string, { channels: number; active: number }>();
  if (db) {
    const rows = await db
      .select({
        type: channels.type,
        channels: sql<number>`count(*)::int`,
        active: sql<number>`count(*) filter (where ${channels.active})::int`,
      })
      .from(channels)
      .where(inArray(channels.type, [...voiceChannelTypes]))
      .groupBy(channels.type);
    for (const row of rows) counts.set(row.type, row);
  }
  const entry = (type: VoiceChannelType, apiUrl: "default" | "overridden" | "none") => ({
    channels: db ? (counts.get(type)?.channels ?? 0) : null,
    active: db ? (counts.get(type)?.active ?? 0) : null,
    apiUrl,
  });
  return {
    sandbox: env.SANDBOX || false,
    providers: {
      twilio_voice: entry("twilio_voice", env.TWILIO_API_URL ? "overridden" : "default"),
      retell: entry("retell", env.RETELL_API_URL ? "overridden" : "default"),
      elevenlabs: entry("elevenlabs", "none"),
    },
  };
}
