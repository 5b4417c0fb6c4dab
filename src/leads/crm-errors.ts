import { ProviderError } from "@/channels/http";
import { PermanentJobError, RetryableJobError } from "@/jobs/errors";

/** A CRM's failure as the job system reads it: 429/5xx/timeouts retried (Retry-After kept), a rejection final. */
export function crmJobError(provider: string, error: unknown): Error {
  if (!(error instanceof ProviderError)) return error instanceof Error ? error : new Error(String(error));
  const status = error.options.status;
  const message = `${provider}: ${error.message}${status && !error.message.includes(`HTTP ${status}`) ? ` (HTTP ${status})` : ""}`;
  return error.options.retryable
    ? new RetryableJobError(message, error.options.retryAfter)
    : new PermanentJobError(message);
}
