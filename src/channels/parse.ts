import type { ZodType } from "zod";
import { MalformedPayloadError } from "./types";

// Reading a verified webhook body. Every provider's malformed body is refused with one message
// format: "body is not JSON", or "<path>: <zod message>" with the issue's path joined by dots
// ("body" when the whole body has the wrong shape).

/** A JSON body read through `schema`; throws MalformedPayloadError when it is not JSON or not that shape. */
export function parseJson<T>(rawBody: string, schema: ZodType<T>): T {
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    throw new MalformedPayloadError("body is not JSON");
  }
  return parseValue(json, schema);
}

/**
 * A form-encoded body (Twilio) read through `schema`: every value is a string, and the last value
 * wins for a repeated name. Throws MalformedPayloadError when the parameters are not that shape.
 */
export function parseForm<T>(rawBody: string, schema: ZodType<T>): T {
  return parseValue(Object.fromEntries(new URLSearchParams(rawBody)), schema);
}

/** An already decoded body (or a part of it, read once its kind is known) through `schema`. */
export function parseValue<T>(value: unknown, schema: ZodType<T>): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue?.path.map(String).join(".") || "body";
  throw new MalformedPayloadError(`${path}: ${issue?.message ?? "unexpected shape"}`);
}
