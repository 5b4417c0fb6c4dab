import type { CallOptions } from "./http";
import { type Member, seedMember, seedTenant, type Tenant } from "./seed";

export { PASSWORD } from "./password";
export type { Member, Tenant };

let seq = 0;
/** Unique per test run and per call, so tests never collide in the shared database. */
export function unique(prefix = "t"): string {
  seq += 1;
  return `${prefix}${Date.now().toString(36)}${seq}${Math.random().toString(36).slice(2, 6)}`;
}

export function randomIp(): string {
  const b = () => Math.floor(Math.random() * 254) + 1;
  return `10.${b()}.${b()}.${b()}`;
}

/**
 * A fresh organization with its admin (signed in) and an admin API key, seeded in the database.
 * No request is made, so nothing counts against the organization's rate limits; `env` is kept
 * for callers that pass the env they will call with.
 */
export async function createTenant(options: Pick<CallOptions, "driver" | "env"> = {}): Promise<Tenant> {
  return seedTenant(options.driver);
}

/** A user of the tenant's organization with the given role, signed in. */
export async function createMember(
  tenant: Pick<Tenant, "organizationId">,
  role: "agent" | "supervisor" | "admin" = "agent",
  name = "Ari",
): Promise<Member> {
  return seedMember(tenant.organizationId, role, { name });
}
