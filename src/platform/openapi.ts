import { z } from "@hono/zod-openapi";
import type { ZodType } from "zod";

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
    requestId: z.string().optional(),
    errors: z
      .array(z.object({ path: z.array(z.union([z.string(), z.number()])), message: z.string(), code: z.string() }))
      .optional(),
  })
  .openapi("Problem");

const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: problemSchema } },
});

/** Spread into every route so the document is honest about the errors it can answer. */
export const errorResponses = {
  400: problem("The request is malformed or failed validation."),
  401: problem("Missing or invalid credentials."),
  403: problem("The caller's role does not allow this."),
  404: problem("No such resource in the caller's organization."),
  409: problem("The request conflicts with the current state."),
  422: problem("The request is well-formed but cannot be processed."),
  429: problem("Rate limited; see Retry-After."),
  500: problem("Unexpected server error; quote the request id."),
} as const;

export const publicErrorResponses = {
  400: errorResponses[400],
  401: errorResponses[401],
  429: errorResponses[429],
  500: errorResponses[500],
} as const;

/** A required JSON body: without `required`, a request with another content type would skip validation. */
export function jsonBody<T extends ZodType>(schema: T, description?: string) {
  return { required: true, description, content: { "application/json": { schema } } } as const;
}

export function jsonContent<T extends ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } } as const;
}

export const bearerSecurity = [{ Bearer: [] }];

export const idParam = z.object({
  id: z.uuid().openapi({ param: { name: "id", in: "path" }, example: "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b" }),
});

export const timestamp = z.iso.datetime().openapi({ example: "2026-11-21T12:00:00.000Z" });
