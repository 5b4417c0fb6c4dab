import { OpenAPIHono } from "@hono/zod-openapi";
import { type AppEnv, setupApp } from "./app";
import { ApiError, zodIssues } from "./errors";

export type App = OpenAPIHono<AppEnv>;

const targets: Record<string, string> = {
  json: "request body",
  form: "form body",
  query: "query string",
  param: "path parameters",
  header: "headers",
};

/** The REST API's app factory: the shared setup plus zod validation answered as problem+json. */
export function newApp(): App {
  return setupApp(
    new OpenAPIHono<AppEnv>({
      defaultHook: (result) => {
        if (!result.success) {
          throw new ApiError("VALIDATION_FAILED", `The ${targets[result.target] ?? result.target} is invalid.`, {
            errors: zodIssues(result.error),
          });
        }
      },
    }),
  );
}
