import { boolean, index, integer, jsonb, pgTable, primaryKey, text, uuid } from "drizzle-orm/pg-core";
import { at, createdAt, organizationId, updatedAt } from "./columns";
import { channels } from "./helpdesk";
import { organizations } from "./identity";
import { calls } from "./messages";

const org = () => organizationId().references(() => organizations.id, { onDelete: "cascade" });

/**
 * An outbound call as it was asked for (POST /api/calls) and what the call.place job did with it.
 * `attemptedAt` is committed before the provider is called: a redelivered job that finds it set
 * with no provider call id cannot know whether the first attempt dialed, so it never dials again.
 */
export const callPlacements = pgTable(
  "call_placements",
  {
    callId: uuid()
      .primaryKey()
      .references(() => calls.id, { onDelete: "cascade" }),
    organizationId: org(),
    record: boolean().notNull().default(false),
    machineDetection: boolean().notNull().default(false),
    requestedByType: text().$type<"user" | "api_key">().notNull(),
    requestedById: uuid().notNull(),
    attemptedAt: at(),
    placedAt: at(),
    /** Sandbox (SANDBOX=true): recorded, never dialed; the call is `canceled` and left out of analytics. */
    simulated: boolean().notNull().default(false),
    /** Why the call was not placed, or why its outcome is unknown (`outcome_unknown`). */
    error: jsonb().$type<{ code?: string; message: string }>(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("call_placements_organization_idx").on(t.organizationId)],
);

/** A Twilio voice channel's caller IDs and when each last placed a call: the rotation's state. */
export const callerIds = pgTable(
  "caller_ids",
  {
    channelId: uuid()
      .notNull()
      .references(() => channels.id, { onDelete: "cascade" }),
    phone: text().notNull(),
    organizationId: org(),
    lastUsedAt: at(),
    uses: integer().notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.channelId, t.phone] })],
);
