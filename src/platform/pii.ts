/**
 * Masking of personal data (phones, e-mails) for API responses, with the logger's own functions:
 * one masked form everywhere, `+55*******4321` and `m***@example.com`. Who sees what unmasked is
 * decided by src/pii/policy.ts.
 */
import { maskPhone, maskPii } from "./logger";

export { maskPhone, maskPii };

/** An e-mail field: first character, `***`, the domain; anything without a domain wholly hidden. */
export function maskEmail(value: string): string {
  const at = value.lastIndexOf("@");
  if (at < 1) return "***";
  return `${value[0]}***${value.slice(at)}`;
}

/** A JSON value (a provider's raw payload, a shared contact card) with phones and e-mails masked in every string. */
export function maskDeep<T>(value: T, depth = 0): T {
  if (typeof value === "string") return maskPii(value) as T;
  if (value === null || typeof value !== "object" || depth > 64) return value;
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, depth + 1)) as T;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskDeep(v, depth + 1)])) as T;
}
