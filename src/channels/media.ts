import { ProviderError, type ProviderErrorInfo, providerFetch } from "./http";
import type { DownloadedMedia, DownloadLimits, Media } from "./types";

/** A media file over the size limit: found out from the provider's metadata or while reading, never by reading it all. */
export class MediaTooLargeError extends ProviderError {
  constructor(
    readonly sizeBytes: number | undefined,
    readonly maxBytes: number,
  ) {
    super(
      sizeBytes === undefined
        ? `the media is larger than the ${maxBytes}-byte limit`
        : `the media has ${sizeBytes} bytes, over the ${maxBytes}-byte limit`,
      { retryable: false, code: "too_large" },
    );
  }
}

/** Throws MediaTooLargeError when a size the provider states is over the limit. */
export function checkStatedSize(size: unknown, limits: DownloadLimits): void {
  if (typeof size === "number" && Number.isFinite(size) && size > limits.maxBytes) {
    throw new MediaTooLargeError(size, limits.maxBytes);
  }
}

/** The body, refused as soon as it passes maxBytes (a Content-Length says so before anything is read). */
async function readCapped(response: Response, maxBytes: number): Promise<Uint8Array> {
  const stated = Number(response.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(stated) && stated > maxBytes) {
    await response.body?.cancel();
    throw new MediaTooLargeError(stated, maxBytes);
  }
  if (!response.body) return new Uint8Array();
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let read: ReadableStreamReadResult<Uint8Array>;
    try {
      read = await reader.read();
    } catch (error) {
      throw new ProviderError(`the media download broke off: ${String(error)}`, { retryable: true });
    }
    if (read.done) break;
    total += read.value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new MediaTooLargeError(undefined, maxBytes);
    }
    chunks.push(read.value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

const EXTENSIONS: Record<string, string> = {
  "audio/ogg": "ogg",
  "audio/opus": "ogg",
  "audio/mpeg": "mp3",
  "audio/mp3": "mp3",
  "audio/mp4": "m4a",
  "audio/m4a": "m4a",
  "audio/x-m4a": "m4a",
  "audio/aac": "m4a",
  "audio/amr": "amr",
  "audio/wav": "wav",
  "audio/x-wav": "wav",
  "audio/webm": "webm",
  "audio/flac": "flac",
};

/**
 * A file name the transcription API accepts: it tells formats by extension, and WhatsApp's
 * voice notes (audio/ogg; codecs=opus) arrive without one.
 */
export function mediaFilename(media: Pick<Media, "filename" | "url">, mimeType: string | undefined): string {
  if (media.filename && /\.[A-Za-z0-9]{2,5}$/.test(media.filename)) return media.filename;
  const base = mimeType?.split(";")[0]?.trim().toLowerCase() ?? "";
  const fromUrl = /\.([A-Za-z0-9]{2,5})(?:$|\?)/.exec(media.url ? safePath(media.url) : "")?.[1];
  const extension = EXTENSIONS[base] ?? fromUrl?.toLowerCase() ?? "ogg";
  return `audio.${extension === "oga" || extension === "opus" ? "ogg" : extension}`;
}

function safePath(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return "";
  }
}

/** Only http(s) media URLs are fetched: a payload's URL never reaches file: or data: schemes. */
export function mediaUrl(url: string | undefined, provider: string): string {
  let parsed: URL | undefined;
  try {
    parsed = url ? new URL(url) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== "https:" && parsed.protocol !== "http:")) {
    throw new ProviderError(`${provider} gave no downloadable media URL`, { retryable: false, code: "no_media_url" });
  }
  return parsed.toString();
}

/**
 * GET a media file with the provider's credentials in `headers`: a timeout, 429/5xx as
 * retryable, the size limit enforced while reading. The MIME type is the stored one, else the
 * answer's Content-Type.
 */
export async function fetchMedia(
  fetcher: typeof fetch,
  url: string,
  headers: Record<string, string>,
  limits: DownloadLimits,
  media: Pick<Media, "filename" | "url" | "mimeType">,
  describe?: (body: string) => ProviderErrorInfo,
): Promise<DownloadedMedia> {
  const response = await providerFetch(
    fetcher,
    url,
    { method: "GET", headers },
    { timeoutMs: limits.timeoutMs, describe },
  );
  const bytes = await readCapped(response, limits.maxBytes);
  const answered = response.headers.get("content-type") ?? undefined;
  const mimeType = media.mimeType ?? (answered?.startsWith("audio/") ? answered : undefined);
  return { bytes, mimeType, filename: mediaFilename(media, mimeType) };
}
