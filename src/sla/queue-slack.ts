import { and, eq } from "drizzle-orm";
import { queues } from "@/db/schema";
import { decryptSecret, encryptSecret } from "@/platform/crypto";
import type { Executor } from "@/platform/db";
import type { Env } from "@/platform/env";
import { ApiError } from "@/platform/errors";

// Bound into the ciphertext: a webhook copied onto another queue's row does not open.
const context = (queueId: string) => `queue:${queueId}:slack-webhook`;

/** Sets (or with null removes) the Slack incoming webhook that takes a queue's alerts; sealed at rest. */
export async function writeQueueSlack(
  db: Executor,
  env: Env,
  organizationId: string,
  queueId: string,
  webhookUrl: string | null,
): Promise<void> {
  const sealed = webhookUrl ? await encryptSecret(env.ENCRYPTION_KEY, webhookUrl, context(queueId)) : null;
  const [row] = await db
    .update(queues)
    .set({ slackWebhook: sealed })
    .where(and(eq(queues.organizationId, organizationId), eq(queues.id, queueId)))
    .returning({ id: queues.id });
  if (!row) throw new ApiError("NOT_FOUND", "No such queue in this organization.");
}

/** The queue's own Slack webhook, opened; null when it has none (its alerts use the organization's). */
export async function readQueueSlack(
  db: Executor,
  env: Env,
  organizationId: string,
  queueId: string,
): Promise<string | null> {
  const [row] = await db
    .select({ sealed: queues.slackWebhook })
    .from(queues)
    .where(and(eq(queues.organizationId, organizationId), eq(queues.id, queueId)));
  return row?.sealed ? decryptSecret(env.ENCRYPTION_KEY, row.sealed, context(queueId)) : null;
}
