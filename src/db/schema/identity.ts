import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { at, createdAt, id, organizationId, updatedAt } from "./columns";

export const roles = ["admin", "supervisor", "agent"] as const;
export type Role = (typeof roles)[number];

export const organizations = pgTable("organizations", {
  id: id(),
  name: text().notNull(),
  settings: jsonb().$type<Record<string, unknown>>().notNull().default({}),
  /** Last ticket number handed out; incremented under a row lock so numbers never repeat. */
  ticketSeq: integer().notNull().default(0),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const users = pgTable(
  "users",
  {
    id: id(),
    organizationId: organizationId().references(() => organizations.id, { onDelete: "cascade" }),
    email: text().notNull(),
    name: text().notNull(),
    role: text().$type<Role>().notNull(),
    /** Null until an invited user accepts the invitation. */
    passwordHash: text(),
    inviteTokenHash: text(),
    inviteExpiresAt: at(),
    active: boolean().notNull().default(true),
    lastLoginAt: at(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // Login takes only an email, so an email names one user across all organizations.
    uniqueIndex("users_email_key").on(sql`lower(${t.email})`),
    index("users_organization_idx").on(t.organizationId, t.id),
    uniqueIndex("users_invite_token_key").on(t.inviteTokenHash),
  ],
);

export const apiKeys = pgTable(
  "api_keys",
  {
    id: id(),
    organizationId: organizationId().references(() => organizations.id, { onDelete: "cascade" }),
    name: text().notNull(),
    /** First characters of the key, shown in listings so a person can tell keys apart. */
    prefix: text().notNull(),
    keyHash: text().notNull(),
    role: text().$type<Role>().notNull(),
    createdBy: uuid().references(() => users.id, { onDelete: "set null" }),
    lastUsedAt: at(),
    expiresAt: at(),
    revokedAt: at(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("api_keys_key_hash_key").on(t.keyHash),
    index("api_keys_organization_idx").on(t.organizationId, t.id),
  ],
);

export const auditActorTypes = ["user", "api_key", "system", "anonymous"] as const;
export type AuditActorType = (typeof auditActorTypes)[number];

/**
 * Critical actions, append-only: a trigger (migration audit_append_only) refuses every UPDATE,
 * DELETE and TRUNCATE, so not even a bug in the API can rewrite history. `diff` never holds a
 * secret (src/audit/diff.ts); "anonymous" is the actor of a failed sign-in.
 */
export const auditLog = pgTable(
  "audit_log",
  {
    id: id(),
    organizationId: organizationId().references(() => organizations.id, { onDelete: "cascade" }),
    actorType: text().$type<AuditActorType>().notNull(),
    actorId: uuid(),
    action: text().notNull(),
    targetType: text(),
    targetId: text(),
    ip: text(),
    /** The x-request-id of the request that did it, to find its log lines. */
    requestId: text(),
    /** {field: {before, after}} with secrets redacted and phones and e-mails masked. */
    diff: jsonb().$type<Record<string, { before: unknown; after: unknown }>>(),
    metadata: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [
    index("audit_log_organization_idx").on(t.organizationId, t.id),
    index("audit_log_action_idx").on(t.organizationId, t.action, t.id),
    index("audit_log_actor_idx").on(t.organizationId, t.actorId, t.id),
    index("audit_log_target_idx").on(t.organizationId, t.targetType, t.targetId, t.id),
  ],
);
