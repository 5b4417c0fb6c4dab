import { and, eq } from "drizzle-orm";
import { cachedChannel } from "@/channels/cache";
import { integrations } from "@/db/schema";
import type { NewJob } from "@/jobs/outbox";
import type { Executor } from "@/platform/db";

// Apart from the sync job so that ingest and the outbound path, which only ask "is there a
// mirror?", carry neither the Chatwoot client nor the integrations service.

export const CHATWOOT_SYNC_JOB = "crm.chatwoot.sync";

/**
 * Whether the organization mirrors its conversations to Chatwoot. Kept with the channel cache
 * (cleared whenever an integration changes), so a message pays no query for it after the first.
 */
export async function mirrorsToChatwoot(db: Executor, organizationId: string): Promise<boolean> {
  const mirrored = await cachedChannel(`crm:chatwoot:${organizationId}`, async () => {
    const [row] = await db
      .select({ id: integrations.id })
      .from(integrations)
      .where(and(eq(integrations.organizationId, organizationId), eq(integrations.provider, "chatwoot")));
    return Boolean(row);
  });
  return mirrored ?? false;
}

/** Mirrors a ticket up to this message (and every earlier one not mirrored yet). */
export function chatwootSyncJob(organizationId: string, ticketId: string, messageId: string): NewJob {
  return {
    name: CHATWOOT_SYNC_JOB,
    organizationId,
    payload: { organizationId, ticketId, messageId },
    dedupeKey: `${CHATWOOT_SYNC_JOB}:${messageId}`,
  };
}
