import { eq, type SQL, sql } from "drizzle-orm";
import { organizations } from "@/db/schema";
import { sealContext } from "@/keys/sealed";
import { decryptSecret, encryptSecret } from "@/platform/crypto";
import type { Executor } from "@/platform/db";
import type { Env } from "@/platform/env";

/** Where an organization wants its events (message.received, ticket.created, ticket.assigned). */
export type EventsWebhook = { url: string; secret: string };
type Stored = { eventsWebhook?: { url: string; secret: string } };

const context = sealContext.eventsWebhook;

export async function readEventsWebhook(db: Executor, env: Env, organizationId: string): Promise<EventsWebhook | null> {
  const [org] = await db
    .select({ settings: organizations.settings })
    .from(organizations)
    .where(eq(organizations.id, organizationId));
  const stored = (org?.settings as Stored | undefined)?.eventsWebhook;
  if (!stored) return null;
  return { url: stored.url, secret: await decryptSecret(env.ENCRYPTION_KEY, stored.secret, context(organizationId)) };
}

export async function writeEventsWebhook(
  db: Executor,
  env: Env,
  organizationId: string,
  webhook: EventsWebhook | null,
) {
  const [org] = await db
    .select({ settings: organizations.settings })
    .from(organizations)
    .where(eq(organizations.id, organizationId));
  const { eventsWebhook: _previous, ...rest } = (org?.settings ?? {}) as Stored & Record<string, unknown>;
  const settings = webhook
    ? {
        ...rest,
        eventsWebhook: {
          url: webhook.url,
          secret: await encryptSecret(env.ENCRYPTION_KEY, webhook.secret, context(organizationId)),
        },
      }
    : rest;
  await db.update(organizations).set({ settings }).where(eq(organizations.id, organizationId));
}

export function hasEventsWebhook(settings: unknown): boolean {
  return Boolean((settings as Stored | null)?.eventsWebhook);
}

/** hasEventsWebhook as SQL, for a statement that enqueues an event only where one is configured. */
export function eventsWebhookConfigured(organizationId: string): SQL {
  return sql`exists (select 1 from ${organizations} where ${organizations.id} = ${organizationId}
    and jsonb_typeof(${organizations.settings} -> 'eventsWebhook') = 'object')`;
}

export async function subscribed(db: Executor, organizationId: string): Promise<boolean> {
  const [org] = await db
    .select({ settings: organizations.settings })
    .from(organizations)
    .where(eq(organizations.id, organizationId));
  return hasEventsWebhook(org?.settings);
}
