import { APIConnectionError, APIError } from "openai/core/error";
import { parseRetryAfter } from "@/channels/http";
import { PermanentJobError, RetryableJobError } from "@/jobs/errors";

/**
 * A failed model call as the job system understands it: 408/409/429/5xx, timeouts and unreachable
 * servers are worth another attempt later (honouring Retry-After); any other refusal (a bad key,
 * an unknown model, a malformed request) is not.
 */
export function modelJobError(error: unknown): Error {
  if (error instanceof APIConnectionError) {
    return new RetryableJobError(`model server unreachable or too slow: ${error.message}`);
  }
  if (error instanceof APIError) {
    const status = error.status ?? 0;
    const retryAfter = parseRetryAfter(error.headers?.get("retry-after") ?? null);
    if (status === 408 || status === 409 || status === 429 || status >= 500) {
      return new RetryableJobError(`model server answered ${status}: ${error.message}`, retryAfter);
    }
    return new PermanentJobError(`model server refused the request (${status}): ${error.message}`);
  }
  // An answer that is not the structured output asked for: another sample may be.
  return new RetryableJobError(`model answer unusable: ${error instanceof Error ? error.message : String(error)}`);
}
