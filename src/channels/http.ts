import type { ZodType } from "zod";

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

/** What a provider's error answer says: its message and its own error code. */
export type ProviderErrorInfo = { message?: string; code?: string };

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
    describe?: (body: string) => ProviderErrorInfo;
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

/** A provider's JSON answer read through `schema`; undefined when it is not JSON or not that shape. */
export function readAnswer<T>(text: string, schema: ZodType<T>): T | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

/** providerFetch's `describe`, from a schema that reads the provider's error answer. */
export function describeWith(schema: ZodType<ProviderErrorInfo>): (text: string) => ProviderErrorInfo {
  return (text) => readAnswer(text, schema) ?? {};
}

/**
 * The message id in a provider's 2xx answer to a send, read through the adapter's `schema`.
 *
 * The provider has taken the message: whatever its answer lacks, sending again could deliver it
 * twice. So an answer without an id (or one that cannot be read) is a final failure with code
 * "accepted_without_id", never a retry. A provider whose answers may carry no id at all and that
 * reports no delivery statuses (BuilderBot) passes `standIn` to make one up instead.
 */
export async function acceptedMessageId(
  provider: string,
  response: Response,
  schema: ZodType<string | undefined>,
  standIn?: () => string,
): Promise<string> {
  let text = "";
  try {
    text = await response.text();
  } catch {
    // The body broke off (timeout, reset) after the 2xx status: the message was still taken.
  }
  const id = readAnswer(text, schema);
  if (id) return id;
  if (standIn) return standIn();
  throw new ProviderError(
    `${provider} accepted the message (HTTP ${response.status}) but answered without a message id: ${text.slice(0, 200)}`,
    { status: response.status, retryable: false, code: "accepted_without_id" },
  );
}
