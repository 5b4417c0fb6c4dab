import { auditLog } from "@/db/schema";
import type { Executor } from "./db";
import type { Principal } from "./principal";

export async function audit(
  db: Executor,
  entry: {
    organizationId: string;
    actor: Pick<Principal, "type" | "id"> | { type: "system"; id?: undefined };
    action: string;
    targetType?: string;
    targetId?: string;
    ip?: string;
    metadata?: Record<string, unknown>;
  },
): Promise<void> {
  await db.insert(auditLog).values({
    organizationId: entry.organizationId,
    actorType: entry.actor.type,
    actorId: entry.actor.id ?? null,
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId,
    ip: entry.ip,
    metadata: entry.metadata ?? {},
  });
}
