/** HTTP to provider APIs: a timeout on every call, and 429/5xx answered with a retry policy. */
export class ProviderError extends Error {
  constructor(
    message: string,
    readonly options: {
      status?: number;
      /** Whether trying again later can succeed (429, 5xx, timeouts), as opposed to a rejected request. */
      retryable: boolean;
      /** Seconds the provider asked us to wait (Retry-After). */
      retryAfter?: number;
      /** The provider's own error code, kept on the failed message. */
      code?: string;
    },
  ) {
    super(message);
  }
}

const INLINE_RETRY_MAX_WAIT_S = 3;

export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

/**
 * fetch with a timeout. A 429 or 5xx is retried in place (at most twice) when the wait is short;
 * otherwise it surfaces as a retryable ProviderError so the job is re-run later, honouring
 * Retry-After. Other 4xx are final. `describe` turns an error body into the provider's message.
 */
export async function providerFetch(
  fetcher: typeof fetch,
  url: string,
  init: RequestInit,
  options: {
    timeoutMs?: number;
    describe?: (body: string) => { message?: string; code?: string };
    /** Provider error codes that mean "try again later" even under a 4xx status. */
    retryableCodes?: ReadonlySet<string>;
  } = {},
): Promise<Response> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  for (let attempt = 0; ; attempt++) {
    let response: Response;
    try {
      response = await fetcher(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      const timeout = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
      throw new ProviderError(timeout ? `timed out after ${timeoutMs} ms` : `network error: ${String(error)}`, {
        retryable: true,
      });
    }
    if (response.ok) return response;
    const retryable = response.status === 429 || response.status >= 500;
    const retryAfter = parseRetryAfter(response.headers.get("retry-after"));
    if (retryable && attempt < 2 && (retryAfter ?? 1) <= INLINE_RETRY_MAX_WAIT_S) {
      await response.body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, (retryAfter ?? 0.5 * 2 ** attempt) * 1000));
      continue;
    }
    const body = await response.text();
    const described = options.describe?.(body) ?? {};
    throw new ProviderError(described.message ?? `HTTP ${response.status}`, {
      status: response.status,
      retryable: retryable || (described.code !== undefined && (options.retryableCodes?.has(described.code) ?? false)),
      retryAfter,
      code: described.code ?? String(response.status),
    });
  }
}

export function jsonOrEmpty(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text);
    return value && typeof value === "object" ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
