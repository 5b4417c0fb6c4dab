// Who sees phones and e-mails in full (README, "What is masked and how to reveal it"):
// - lists are masked unless masking is off for the deployment (PII_MASKING_ENABLED) or the
//   organization (PATCH /api/organization/privacy); `?reveal=true` shows them in full to admins and
//   supervisors only, and is recorded in the audit log as pii.revealed (the list and its filters);
// - a single resource (one contact, ticket, lead, interaction) is in full for admins and
//   supervisors, and for an agent when the contact has a ticket assigned to that agent;
// - logs always mask (src/platform/logger.ts).
import { z } from "@hono/zod-openapi";
import { and, eq, sql } from "drizzle-orm";
import { auditFromContext } from "@/audit/context";
import { auditFilters } from "@/audit/diff";
import { organizations, type Role, tickets } from "@/db/schema";
import type { AppContext } from "@/platform/app";
import { ApiError } from "@/platform/errors";
import { maskDeep, maskEmail, maskPhone } from "@/platform/pii";

export type PiiView = {
  /** True when values are shown in full. */
  full: boolean;
  phone(value: string | null): string | null;
  email(value: string | null): string | null;
  /** Any JSON or text with phones and e-mails inside: a raw payload, a shared contact card. */
  deep<T>(value: T): T;
};

export const fullView: PiiView = { full: true, phone: (v) => v, email: (v) => v, deep: (v) => v };

export const maskedView: PiiView = {
  full: false,
  phone: (v) => (v === null ? null : maskPhone(v)),
  email: (v) => (v === null ? null : maskEmail(v)),
  deep: (v) => maskDeep(v),
};

/** The roles that may see personal data in full anywhere, and reveal it on lists. */
export const revealRoles: readonly Role[] = ["admin", "supervisor"];

/** The `reveal` query parameter of every list that carries phones or e-mails. */
export const revealQuery = z.enum(["true", "false"]).optional().openapi({
  description: "true: phones and e-mails in full (admins and supervisors; recorded in the audit log as pii.revealed).",
});

/** The organization's own choice (`settings.piiMasking`), or null to follow the deployment. */
export async function organizationMasking(c: AppContext, organizationId: string): Promise<boolean | null> {
  const [row] = await c.var.services.db
    .select({ value: sql<unknown>`${organizations.settings} -> 'piiMasking'` })
    .from(organizations)
    .where(eq(organizations.id, organizationId));
  return typeof row?.value === "boolean" ? row.value : null;
}

// Per request: a list and the single resources of one request read the setting once.
const enabledByRequest = new WeakMap<object, Promise<boolean>>();

/** Whether the caller's organization masks personal data: its own setting, else PII_MASKING_ENABLED. */
export function maskingEnabled(c: AppContext): Promise<boolean> {
  const services = c.var.services;
  let enabled = enabledByRequest.get(services);
  if (!enabled) {
    enabled = organizationMasking(c, c.var.principal.organizationId).then(
      (own) => own ?? services.env.PII_MASKING_ENABLED,
    );
    enabledByRequest.set(services, enabled);
  }
  return enabled;
}

/**
 * The view of a list response. `reveal` by an admin or supervisor shows everything and is audited
 * (which list, which filters, never the values); by anyone else it is refused.
 */
export async function listView(
  c: AppContext,
  list: { name: string; reveal: "true" | "false" | undefined; filters?: Record<string, unknown> },
): Promise<PiiView> {
  if (list.reveal === "true") {
    if (!revealRoles.includes(c.var.principal.role)) {
      throw new ApiError("FORBIDDEN", "Only admins and supervisors may reveal phones and e-mails.");
    }
    await auditFromContext(c, {
      action: "pii.revealed",
      targetType: "list",
      targetId: list.name,
      metadata: { list: list.name, filters: auditFilters(list.filters ?? {}) },
    });
    return fullView;
  }
  return (await maskingEnabled(c)) ? maskedView : fullView;
}

/**
 * The view of one resource about a contact: in full for admins and supervisors, and for the agent
 * a ticket of that contact is assigned to (or the ticket in question, `assigneeId`).
 */
export async function resourceView(
  c: AppContext,
  subject: { contactId?: string | null; assigneeId?: string | null },
): Promise<PiiView> {
  const principal = c.var.principal;
  if (revealRoles.includes(principal.role) || !(await maskingEnabled(c))) return fullView;
  if (principal.type !== "user") return maskedView;
  if (subject.assigneeId === principal.id) return fullView;
  if (!subject.contactId) return maskedView;
  const [assigned] = await c.var.services.db
    .select({ id: tickets.id })
    .from(tickets)
    .where(
      and(
        eq(tickets.organizationId, principal.organizationId),
        eq(tickets.contactId, subject.contactId),
        eq(tickets.assigneeId, principal.id),
      ),
    )
    .limit(1);
  return assigned ? fullView : maskedView;
}
