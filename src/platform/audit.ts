import { auditLog } from "@/db/schema";
import type { Executor } from "./db";
import type { Principal } from "./principal";

export type AuditActor =
  | Pick<Principal, "type" | "id">
  | { type: "system"; id?: undefined }
  /** Someone not signed in: a failed sign-in. */
  | { type: "anonymous"; id?: undefined };

export type AuditEntry = {
  organizationId: string;
  actor: AuditActor;
  action: string;
  targetType?: string;
  targetId?: string;
  ip?: string;
  /** The request's x-request-id (src/audit/context.ts fills it, and the IP, from a request). */
  requestId?: string;
  /** Before and after of what changed, made by src/audit/diff.ts so no secret is kept. */
  diff?: Record<string, { before: unknown; after: unknown }>;
  metadata?: Record<string, unknown>;
};

/** Appends one entry to the audit log (append-only: the database refuses to change or delete it). */
export async function audit(db: Executor, entry: AuditEntry): Promise<void> {
  await db.insert(auditLog).values({
    organizationId: entry.organizationId,
    actorType: entry.actor.type,
    actorId: entry.actor.id ?? null,
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId,
    ip: entry.ip,
    requestId: entry.requestId,
    diff: entry.diff && Object.keys(entry.diff).length > 0 ? entry.diff : null,
    metadata: entry.metadata ?? {},
  });
}
