import * as z from "zod";

/** Per-channel behaviour, stored in channels.settings. */
export const channelSettings = z.object({
  /** A resolved ticket is reopened by an inbound message within this many hours; after it, a new ticket. */
  reopenWindowHours: z.number().int().min(0).max(720).default(24),
  /** Group chats (Z-API, BuilderBot) are not customer conversations. */
  ignoreGroups: z.boolean().default(true),
  /** Z-API echoes messages sent from the phone itself (fromMe); they are not the customer speaking. */
  ignoreFromMe: z.boolean().default(true),
});
export type ChannelSettings = z.infer<typeof channelSettings>;

/** A settings change: only the fields sent, no defaults filled in (they would reset the others). */
export const channelSettingsPatch = z
  .object({ reopenWindowHours: z.number().int().min(0).max(720), ignoreGroups: z.boolean(), ignoreFromMe: z.boolean() })
  .partial();

export function readSettings(stored: unknown): ChannelSettings {
  const parsed = channelSettings.safeParse(stored ?? {});
  return parsed.success ? parsed.data : channelSettings.parse({});
}
