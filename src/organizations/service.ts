import { eq } from "drizzle-orm";
import { forgetAllChannels } from "@/channels/cache";
import { organizations } from "@/db/schema";
import { type EventsWebhook, readEventsWebhook, writeEventsWebhook } from "@/notify/settings";
import { randomToken } from "@/platform/crypto";
import type { Executor } from "@/platform/db";
import type { Env } from "@/platform/env";
import { ApiError } from "@/platform/errors";

export type OrganizationRow = typeof organizations.$inferSelect;

export async function findOrganization(db: Executor, id: string): Promise<OrganizationRow | undefined> {
  const [organization] = await db.select().from(organizations).where(eq(organizations.id, id));
  return organization;
}

/** The organization with its events webhook (the URL only: the secret is never shown again). */
export async function organizationDetail(db: Executor, env: Env, id: string) {
  const organization = await findOrganization(db, id);
  if (!organization) throw new ApiError("NOT_FOUND", "The organization no longer exists.");
  const webhook = await readEventsWebhook(db, env, id);
  return { organization, eventsWebhook: webhook ? { url: webhook.url } : null };
}

export async function renameOrganization(db: Executor, id: string, name: string): Promise<void> {
  await db.update(organizations).set({ name }).where(eq(organizations.id, id));
}

/**
 * Points the organization's events at a URL with a new signing secret, returned to be shown once.
 * Cached channels carry whether events are wanted, so they are dropped, here and on removal.
 */
export async function setEventsWebhook(db: Executor, env: Env, id: string, url: string): Promise<EventsWebhook> {
  const webhook = { url, secret: randomToken(32) };
  await writeEventsWebhook(db, env, id, webhook);
  forgetAllChannels();
  return webhook;
}

export async function removeEventsWebhook(db: Executor, env: Env, id: string): Promise<void> {
  await writeEventsWebhook(db, env, id, null);
  forgetAllChannels();
}
