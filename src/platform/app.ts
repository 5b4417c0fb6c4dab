import { type Context, Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { createServices } from "./context";
import { isDatabaseError, isUniqueViolation } from "./db-errors";
import type { Bindings } from "./env";
import { EnvError } from "./env";
import { ApiError, type ErrorCode, problemResponse } from "./errors";
import { createLogger } from "./logger";
import type { Principal } from "./principal";
import type { Services } from "./services";

export type AppEnv = {
  Bindings: Bindings;
  Variables: {
    requestId: string;
    services: Services;
    principal: Principal;
  };
};

export type AppContext = Context<AppEnv>;

const REQUEST_ID = /^[\w.-]{8,128}$/;

/**
 * What every function shares: request id, services, one request log line, problem+json errors.
 * Used by the plain Hono apps (jobs, webhooks) and by the OpenAPI app of the REST API alike.
 */
export function setupApp<A extends Hono<AppEnv>>(app: A): A {
  app.use(async (c, next) => {
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
    c.set("requestId", requestId);
    const started = performance.now();
    const services = createServices(c.env, c.executionCtx, requestId);
    c.set("services", services);
    try {
      await next();
    } finally {
      c.executionCtx.waitUntil(services.dispose());
      c.res.headers.set("x-request-id", requestId);
      const status = c.res.status;
      services.log[status >= 500 ? "error" : "info"]("request", {
        method: c.req.method,
        route: c.req.routePath,
        status,
        durationMs: Math.round((performance.now() - started) * 100) / 100,
        organizationId: c.var.principal?.organizationId,
      });
    }
  });

  app.onError(handleError);
  app.notFound((c) =>
    problemResponse("NOT_FOUND", `No route for ${c.req.method} ${new URL(c.req.url).pathname}.`, {
      requestId: c.var.requestId,
    }),
  );
  return app;
}

/** A function app without the OpenAPI machinery (and without its weight in the bundle). */
export function newWorkerApp(): Hono<AppEnv> {
  return setupApp(new Hono<AppEnv>());
}

const httpCodes: Record<number, ErrorCode> = {
  400: "BAD_REQUEST",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  405: "METHOD_NOT_ALLOWED",
  409: "CONFLICT",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  422: "UNPROCESSABLE",
  429: "RATE_LIMITED",
  503: "UNAVAILABLE",
};

export function handleError(error: Error, c: AppContext): Response {
  const requestId = c.var.requestId;
  const log = c.var.services?.log ?? createLogger("info", { requestId });
  if (error instanceof ApiError) {
    if (error.status >= 500) log.error("request failed", { code: error.code, error });
    return problemResponse(error.code, error.message, { requestId, ...error.extra });
  }
  if (error instanceof HTTPException) {
    const code = httpCodes[error.status] ?? (error.status >= 500 ? "INTERNAL" : "BAD_REQUEST");
    if (error.status >= 500) log.error("request failed", { error });
    return problemResponse(code, error.message || "Request failed.", { requestId });
  }
  if (error instanceof EnvError) {
    log.error("invalid environment", { issues: error.issues });
    return problemResponse("MISCONFIGURED", "The server is missing required configuration.", { requestId });
  }
  if (isDatabaseError(error, "40P01") || isDatabaseError(error, "40001")) {
    // PostgreSQL aborted this request's transaction to let a concurrent one through: nothing of it
    // was stored, and the same request again succeeds. 503 tells providers and clients to retry.
    log.warn("transaction aborted by a concurrent one (deadlock or serialization); answered 503", { error });
    return problemResponse("UNAVAILABLE", "A concurrent change got in the way; retry the request.", {
      requestId,
      retryAfter: 1,
    });
  }
  if (isUniqueViolation(error)) {
    log.warn("unique violation", { error });
    return problemResponse("CONFLICT", "The resource conflicts with one that already exists.", { requestId });
  }
  log.error("unhandled error", { error, stack: error.stack });
  return problemResponse("INTERNAL", "An unexpected error occurred. Quote the request id when reporting it.", {
    requestId,
  });
}
