import { eq } from "drizzle-orm";
import { slaSettings } from "@/db/schema";
import type { Executor } from "@/platform/db";
import type { SlaSettingsInput } from "./schemas";

export async function readSlaSettings(db: Executor, organizationId: string): Promise<SlaSettingsInput> {
  const [row] = await db.select().from(slaSettings).where(eq(slaSettings.organizationId, organizationId));
  return {
    businessHours: row?.businessHours ?? null,
    dailySummary:
      row?.dailySummaryTime && row.dailySummaryTimezone
        ? { time: row.dailySummaryTime, timezone: row.dailySummaryTimezone }
        : null,
  };
}

export async function writeSlaSettings(db: Executor, organizationId: string, input: SlaSettingsInput) {
  const values = {
    businessHours: input.businessHours,
    dailySummaryTime: input.dailySummary?.time ?? null,
    dailySummaryTimezone: input.dailySummary?.timezone ?? null,
  };
  await db
    .insert(slaSettings)
    .values({ organizationId, ...values })
    .onConflictDoUpdate({ target: slaSettings.organizationId, set: { ...values, updatedAt: new Date() } });
}
