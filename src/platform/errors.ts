import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ZodError } from "zod";

export const errorCodes = {
  BAD_REQUEST: 400,
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  /** The number is on the organization's blocklist: no call or message goes to it. */
  BLOCKED_NUMBER: 409,
  /** The contact opted out: no outbound call or proactive message goes to them. */
  OPTED_OUT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNPROCESSABLE: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  MISCONFIGURED: 500,
  BAD_GATEWAY: 502,
  UNAVAILABLE: 503,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof errorCodes;

const titles: Record<ErrorCode, string> = {
  BAD_REQUEST: "Bad request",
  VALIDATION_FAILED: "Validation failed",
  UNAUTHORIZED: "Unauthorized",
  FORBIDDEN: "Forbidden",
  NOT_FOUND: "Not found",
  METHOD_NOT_ALLOWED: "Method not allowed",
  CONFLICT: "Conflict",
  BLOCKED_NUMBER: "Number blocked",
  OPTED_OUT: "Contact opted out",
  PAYLOAD_TOO_LARGE: "Payload too large",
  UNSUPPORTED_MEDIA_TYPE: "Unsupported media type",
  UNPROCESSABLE: "Unprocessable content",
  RATE_LIMITED: "Too many requests",
  INTERNAL: "Internal server error",
  MISCONFIGURED: "Server misconfigured",
  BAD_GATEWAY: "Bad gateway",
  UNAVAILABLE: "Service unavailable",
};

export type ValidationIssue = { path: (string | number)[]; message: string; code: string };

/** The one error type that domain code throws; `onError` turns it into problem+json. */
export class ApiError extends Error {
  readonly status: ContentfulStatusCode;
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly extra: { errors?: ValidationIssue[]; retryAfter?: number; headers?: Record<string, string> } = {},
  ) {
    super(message ?? titles[code]);
    this.status = errorCodes[code];
  }
}

export type Problem = {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  instance?: string;
  requestId?: string;
  errors?: ValidationIssue[];
};

/** RFC 9457 problem details. */
export function problemBody(
  code: ErrorCode,
  detail: string,
  extra: { instance?: string; requestId?: string; errors?: ValidationIssue[] } = {},
): Problem {
  return {
    type: `urn:switchboard:problem:${code.toLowerCase().replaceAll("_", "-")}`,
    title: titles[code],
    status: errorCodes[code],
    detail,
    code,
    ...extra,
  };
}

export function problemResponse(
  code: ErrorCode,
  detail: string,
  extra: {
    instance?: string;
    requestId?: string;
    errors?: ValidationIssue[];
    retryAfter?: number;
    headers?: Record<string, string>;
  } = {},
): Response {
  const { retryAfter, headers: extraHeaders, ...rest } = extra;
  const headers: Record<string, string> = { ...extraHeaders, "content-type": "application/problem+json" };
  if (rest.requestId) headers["x-request-id"] = rest.requestId;
  if (retryAfter !== undefined) headers["retry-after"] = String(retryAfter);
  return new Response(JSON.stringify(problemBody(code, detail, rest)), {
    status: errorCodes[code],
    headers,
  });
}

/** A zod failure as the issues of a VALIDATION_FAILED problem. */
export function zodIssues(error: ZodError): ValidationIssue[] {
  return error.issues.map((i) => ({
    path: i.path.map((p) => (typeof p === "symbol" ? String(p) : p)),
    message: i.message,
    code: i.code,
  }));
}
