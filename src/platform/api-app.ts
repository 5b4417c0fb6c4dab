import { OpenAPIHono } from "@hono/zod-openapi";
import { type AppEnv, setupApp } from "./app";
import { ApiError, zodIssues } from "./errors";
import { findUnsafeText } from "./text";

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
        const where = targets[result.target] ?? result.target;
        if (!result.success) {
          throw new ApiError("VALIDATION_FAILED", `The ${where} is invalid.`, { errors: zodIssues(result.error) });
        }
        // Every validated input passes here: text PostgreSQL cannot store is refused by name,
        // before it can fail a query with a 500 (platform/text.ts).
        const path = findUnsafeText(result.data);
        if (path) {
          throw new ApiError("VALIDATION_FAILED", `The ${where} is invalid.`, {
            errors: [
              {
                path,
                message: "Must not contain NUL characters, unpaired surrogates or JSON nested deeper than 64 levels.",
                code: "invalid_text",
              },
            ],
          });
        }
      },
    }),
  );
}
