import type { AppContext } from "@/platform/app";
import { type AuditActor, type AuditEntry, audit } from "@/platform/audit";
import type { Executor } from "@/platform/db";
import { clientIp } from "@/platform/request";

/** Where a request came from, as the audit log records it. */
export type AuditRequest = { ip: string; requestId: string };

export function requestOf(c: AppContext): AuditRequest {
  return { ip: clientIp(c), requestId: c.var.requestId };
}

/**
 * `audit()` for a request: the caller's organization and identity (unless given), its IP and its
 * request id. Pass `db` to write inside the transaction that made the change.
 */
export async function auditFromContext(
  c: AppContext,
  entry: Omit<AuditEntry, "organizationId" | "actor" | "ip" | "requestId"> & {
    organizationId?: string;
    actor?: AuditActor;
  },
  db: Executor = c.var.services.db,
): Promise<void> {
  const principal = c.var.principal as AppContext["var"]["principal"] | undefined;
  const organizationId = entry.organizationId ?? principal?.organizationId;
  const actor = entry.actor ?? (principal ? { type: principal.type, id: principal.id } : undefined);
  if (!organizationId || !actor) throw new Error(`audit ${entry.action}: no organization or actor`);
  await audit(db, { ...entry, organizationId, actor, ...requestOf(c) });
}
