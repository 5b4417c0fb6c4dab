import { boolean, index, integer, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { at, createdAt, id, organizationId, updatedAt } from "./columns";
import { channels } from "./helpdesk";
import { organizations } from "./identity";

/** Stored states; `expired` is not one of them: a pending challenge past its expiresAt is expired. */
export const otpStatuses = ["pending", "approved", "canceled", "max_attempts"] as const;
export type OtpStatus = (typeof otpStatuses)[number];
export const otpChannels = ["sms", "whatsapp"] as const;
export type OtpChannel = (typeof otpChannels)[number];
export const otpSendStatuses = ["queued", "sent", "simulated", "failed", "skipped"] as const;
export type OtpSendStatus = (typeof otpSendStatuses)[number];

/**
 * A one-time code sent to a phone for a purpose. The code is kept as an HMAC bound to the
 * challenge id, keyed with the OTP pepper that `keyId` names. `codeSealed` holds it encrypted (a
 * key derived from the same pepper) for the send job alone, and is erased once the code went out
 * or the challenge ended. A decoy is what a verification by phone checks when the phone has no
 * live challenge: no code can match it, so its answers look like a real challenge's.
 */
export const otpChallenges = pgTable(
  "otp_challenges",
  {
    id: id(),
    organizationId: organizationId().references(() => organizations.id, { onDelete: "cascade" }),
    /** E.164. */
    phone: text().notNull(),
    purpose: text().notNull(),
    /** Null for decoys, which are never sent. */
    channel: text().$type<OtpChannel>(),
    channelId: uuid().references(() => channels.id, { onDelete: "set null" }),
    keyId: text().notNull(),
    codeHash: text().notNull(),
    codeSealed: text(),
    status: text().$type<OtpStatus>().notNull().default("pending"),
    attempts: integer().notNull().default(0),
    maxAttempts: integer().notNull(),
    decoy: boolean().notNull().default(false),
    sendStatus: text().$type<OtpSendStatus>().notNull().default("queued"),
    /** Provider calls made (marked before each): more than one means the code may have gone out twice. */
    sendAttempts: integer().notNull().default(0),
    providerMessageId: text(),
    sendError: text(),
    /** Set from the service's clock (not the database's), like expiresAt: tests move that clock. */
    createdAt: createdAt(),
    expiresAt: at().notNull(),
    verifiedAt: at(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("otp_challenges_pair_idx").on(t.organizationId, t.phone, t.purpose, t.createdAt),
    // The cron's prune (src/otp/prune.ts): decoys and real challenges, each by when it expired.
    index("otp_challenges_expiry_idx").on(t.decoy, t.expiresAt),
  ],
);

/**
 * Sends per phone and purpose: the times of the sends inside the window, rewritten by one
 * conditional upsert that adds a send only while fewer than the limit are inside it. The row
 * lock of that upsert also serializes concurrent requests for one phone and purpose.
 */
export const otpSendWindows = pgTable(
  "otp_send_windows",
  {
    organizationId: organizationId().references(() => organizations.id, { onDelete: "cascade" }),
    phone: text().notNull(),
    purpose: text().notNull(),
    sentAt: timestamp({ withTimezone: true }).array().notNull(),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.phone, t.purpose] })],
);

/** Sends per organization and clock hour (UTC), counted by one conditional upsert: the ceiling. */
export const otpOrganizationHours = pgTable(
  "otp_organization_hours",
  {
    organizationId: organizationId().references(() => organizations.id, { onDelete: "cascade" }),
    hour: timestamp({ withTimezone: true }).notNull(),
    sends: integer().notNull(),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.hour] })],
);
