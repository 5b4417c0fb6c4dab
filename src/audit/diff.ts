import { maskPii } from "@/platform/pii";

/** What a secret's value becomes in the audit log: whether it was set, never what it was. */
export const REDACTED = "[redacted]";

/** Field names that hold credentials, whatever the object: their values never reach the log. */
const SECRET_NAME =
  /secret|token|password|passwd|api_?key|credential|authorization|signature|pepper|hash|private|cookie|session/i;

export type AuditDiff = Record<string, { before: unknown; after: unknown }>;

function plain(value: unknown): unknown {
  return value instanceof Date ? value.toISOString() : value;
}

/** A value fit for the log: secret-named keys redacted at any depth, phones and e-mails masked. */
function sanitize(value: unknown, depth = 0): unknown {
  const v = plain(value);
  if (typeof v === "string") return maskPii(v);
  if (v === null || typeof v !== "object" || depth > 16) return v ?? null;
  if (Array.isArray(v)) return v.map((item) => sanitize(item, depth + 1));
  return Object.fromEntries(
    Object.entries(v).map(([k, item]) => [
      k,
      SECRET_NAME.test(k) ? (item == null ? null : REDACTED) : sanitize(item, depth + 1),
    ]),
  );
}

/**
 * The fields that differ between `before` and `after`, as `{field: {before, after}}`, safe to keep:
 * a secret field (by name, or listed in `secret`, or every field with `secret: "all"`) shows only
 * that it was set, changed or removed; other values have phones and e-mails masked. Values are
 * compared in full, so a changed secret is recorded as changed without being stored.
 */
export function auditDiff(
  before: Record<string, unknown> | null | undefined,
  after: Record<string, unknown> | null | undefined,
  options: { fields?: string[]; secret?: readonly string[] | "all" } = {},
): AuditDiff {
  const fields = options.fields ?? [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])];
  const changes: AuditDiff = {};
  for (const field of fields) {
    const a = plain(before?.[field]);
    const b = plain(after?.[field]);
    if (JSON.stringify(a ?? null) === JSON.stringify(b ?? null)) continue;
    const secret = options.secret === "all" || options.secret?.includes(field) || SECRET_NAME.test(field);
    changes[field] = secret
      ? { before: a == null ? null : REDACTED, after: b == null ? null : REDACTED }
      : { before: sanitize(a), after: sanitize(b) };
  }
  return changes;
}

/** Filters of a list or an export as the log keeps them: no secret, phones and e-mails masked. */
export function auditFilters(filters: Record<string, unknown>): Record<string, unknown> {
  const kept = Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined));
  return sanitize(kept) as Record<string, unknown>;
}
