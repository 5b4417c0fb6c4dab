import { index, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { at, createdAt, id, organizationId, updatedAt } from "./columns";
import { organizations } from "./identity";

/**
 * An organization's named inbound webhook (a CRM, a dialer feeding the timeline). The signing
 * secret is sealed, not hashed: verifying an HMAC needs the secret itself.
 */
export const customWebhooks = pgTable(
  "custom_webhooks",
  {
    id: id(),
    organizationId: organizationId().references(() => organizations.id, { onDelete: "cascade" }),
    name: text().notNull(),
    /** AES-GCM ciphertext of the signing secret, bound to the organization and the hook. */
    secret: text().notNull(),
    lastReceivedAt: at(),
    rotatedAt: at(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("custom_webhooks_name_key").on(t.organizationId, t.name),
    index("custom_webhooks_organization_idx").on(t.organizationId, t.id),
  ],
);
