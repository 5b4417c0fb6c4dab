/** The URLs of a twilio_voice channel that Switchboard hands Twilio inside TwiML and instructions. */
export type VoiceRoute =
  | "voice"
  | "wait"
  | "queue-result"
  | "dial-result"
  | "voicemail-done"
  | "assignment"
  | "agent-answer"
  | "voice-status"
  | "recording-status";

export function voiceUrl(
  publicUrl: string,
  channelId: string,
  route: VoiceRoute,
  query: Record<string, string | null | undefined> = {},
): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value) search.set(key, value);
  const qs = search.toString();
  return `${publicUrl}/webhooks/twilio/${channelId}/${route}${qs ? `?${qs}` : ""}`;
}
