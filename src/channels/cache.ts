/**
 * Channels looked up by webhooks, with credentials opened, kept per isolate for a few seconds.
 * Every inbound message would otherwise pay a query and two AES-GCM decryptions for data that
 * changes rarely. The price: a channel edit (deactivation, new app secret) reaches webhooks
 * within TTL_MS rather than at once.
 */
const TTL_MS = 10_000;
const MAX_ENTRIES = 1_000;

type Entry<T> = { value: T; expires: number };

// Deliberately module-scoped: it must outlive the request to be of any use.
const entries = new Map<string, Entry<unknown>>();

export async function cachedChannel<T>(
  key: string,
  load: () => Promise<T | undefined>,
  now = Date.now(),
): Promise<T | undefined> {
  const hit = entries.get(key) as Entry<T> | undefined;
  if (hit && hit.expires > now) return hit.value;
  const value = await load();
  if (value === undefined) {
    entries.delete(key);
    return undefined;
  }
  if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
  entries.set(key, { value, expires: now + TTL_MS });
  return value;
}

/** Drops a channel after an edit; reaches webhooks served by this isolate (the gateway) at once. */
export function forgetChannel(channelId: string): void {
  for (const key of entries.keys()) if (key.endsWith(`:${channelId}`)) entries.delete(key);
}

/** Drops every cached channel, e.g. when an organization's events webhook changes. */
export function forgetAllChannels(): void {
  entries.clear();
}
