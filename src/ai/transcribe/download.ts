import { ProviderError } from "@/channels/http";
import { MediaTooLargeError } from "@/channels/media";
import { bindChannel } from "@/channels/registry";
import { type ChannelRow, openCredentials } from "@/channels/secrets";
import type { DownloadedMedia, Media } from "@/channels/types";
import { RetryableJobError } from "@/jobs/errors";
import type { Env } from "@/platform/env";

/** Why a voice note cannot be had, for good: too large, or the provider will not hand it over. */
export type DownloadRefusal = { status: "too_large" | "failed"; reason: string };

/** Each provider fetch may take this long: a voice note is small, a hung CDN is not worth a job's lease. */
const DOWNLOAD_TIMEOUT_MS = 20_000;

function baseUrl(env: Env, name: string, fallback: string): string {
  const value = (env as Record<string, unknown>)[name];
  return typeof value === "string" && value ? value : fallback;
}

/**
 * The media of an inbound message, fetched through its channel's adapter with the channel's
 * credentials. Trouble worth another try (429, 5xx, timeouts) is a RetryableJobError honouring the
 * provider's Retry-After; a refusal that no retry changes comes back as a DownloadRefusal.
 */
export async function downloadMedia(
  env: Env,
  channel: ChannelRow,
  media: Media,
): Promise<DownloadedMedia | DownloadRefusal> {
  let config: Record<string, unknown>;
  try {
    config = await openCredentials(env, channel);
  } catch {
    return { status: "failed", reason: "the channel's stored credentials do not decrypt" };
  }
  const binding = bindChannel(channel.type, config);
  if (!binding.ok) return { status: "failed", reason: binding.message };
  const { adapter, downloadMedia: download } = binding.channel;
  if (!download) return { status: "failed", reason: `${channel.type} channels cannot download media` };
  const limits = { maxBytes: env.TRANSCRIBE_MAX_BYTES, timeoutMs: DOWNLOAD_TIMEOUT_MS };
  const ctx = {
    baseUrl: baseUrl(env, adapter.baseUrlEnv, adapter.defaultBaseUrl),
    fetch,
    publicUrl: env.PUBLIC_URL,
    channelId: channel.id,
  };
  try {
    const file = await download(ctx, media, limits);
    if (file.bytes.byteLength > limits.maxBytes) throw new MediaTooLargeError(file.bytes.byteLength, limits.maxBytes);
    if (file.bytes.byteLength === 0) return { status: "failed", reason: "the provider answered an empty file" };
    return file;
  } catch (error) {
    if (error instanceof MediaTooLargeError) return { status: "too_large", reason: error.message };
    if (!(error instanceof ProviderError)) throw error;
    if (error.options.retryable) {
      throw new RetryableJobError(`media download: ${error.message}`, error.options.retryAfter);
    }
    return { status: "failed", reason: `media download refused (${error.options.code ?? "error"}): ${error.message}` };
  }
}
