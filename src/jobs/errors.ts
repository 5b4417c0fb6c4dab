/** Throw from a job handler when a later attempt can succeed (provider 429/5xx, timeouts). */
export class RetryableJobError extends Error {
  constructor(
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

/** Throw from a job handler when no retry can help (the provider rejected the request). */
export class PermanentJobError extends Error {}
