import { maskPhone } from "./logger";
import type { Principal } from "./principal";

/**
 * Whether lists show this caller whole phone numbers. Admins and supervisors see them; agents (and
 * agent-role API keys) see them masked (+55*******4321) in lists of many people (calls, the
 * timeline's calls, the blocklist), and whole in the one record they open (GET /api/calls/{id}),
 * as GET /api/contacts/{id} shows a contact's.
 */
export function seesPhones(principal: Pick<Principal, "role">): boolean {
  return principal.role === "admin" || principal.role === "supervisor";
}

/** A phone number as a list shows it to this caller. */
export function listedPhone(principal: Pick<Principal, "role">, phone: string | null): string | null {
  return phone && !seesPhones(principal) ? maskPhone(phone) : phone;
}
