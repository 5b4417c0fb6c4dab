// Every value sealed with ENCRYPTION_KEY, in one place: the context each is bound to and how the
// re-encryption job finds and rewrites it. A new sealed column must be added here, or rotating
// the key would leave it readable only with a key that is about to be removed.
// Imports carry their extension: `npm run keys:reencrypt` loads this file in plain Node.
import { type SQL, sql } from "drizzle-orm";

/** The additional data each sealed value is bound to: a ciphertext copied elsewhere does not open. */
export const sealContext = {
  channelCredentials: (channelId: string) => `channel:${channelId}:credentials`,
  channelWebhookSecret: (channelId: string) => `channel:${channelId}:webhook`,
  integration: (organizationId: string, provider: string) => `integration:${organizationId}:${provider}`,
  eventsWebhook: (organizationId: string) => `organization:${organizationId}:events-webhook`,
  customWebhook: (organizationId: string, hookId: string) => `custom-webhook:${organizationId}:${hookId}`,
};

/** A sealed value as the re-encryption reads it. */
export type SealedRow = { id: string; organization_id: string; sealed: string; provider: string | null };

export type SealedField = {
  name: string;
  /** The sealed text as a SQL expression over the table (aliased `t`). */
  value: SQL;
  table: SQL;
  organizationColumn: SQL;
  provider: SQL;
  context(row: SealedRow): string;
  /** Compare-and-set: writes `next` only where the row still holds `row.sealed`, so a concurrent edit wins. */
  update(row: SealedRow, next: string): SQL;
};

export const sealedFields: SealedField[] = [
  {
    name: "channels.credentials",
    value: sql`t.credentials`,
    table: sql`channels`,
    organizationColumn: sql`t.organization_id`,
    provider: sql`null::text`,
    context: (row) => sealContext.channelCredentials(row.id),
    update: (row, next) =>
      sql`update channels set credentials = ${next} where id = ${row.id} and credentials = ${row.sealed}`,
  },
  {
    name: "channels.webhook_secret",
    value: sql`t.webhook_secret`,
    table: sql`channels`,
    organizationColumn: sql`t.organization_id`,
    provider: sql`null::text`,
    context: (row) => sealContext.channelWebhookSecret(row.id),
    update: (row, next) =>
      sql`update channels set webhook_secret = ${next} where id = ${row.id} and webhook_secret = ${row.sealed}`,
  },
  {
    name: "integrations.secrets",
    value: sql`t.secrets`,
    table: sql`integrations`,
    organizationColumn: sql`t.organization_id`,
    provider: sql`t.provider`,
    context: (row) => sealContext.integration(row.organization_id, row.provider ?? ""),
    update: (row, next) =>
      sql`update integrations set secrets = ${next} where id = ${row.id} and secrets = ${row.sealed}`,
  },
  {
    name: "custom_webhooks.secret",
    value: sql`t.secret`,
    table: sql`custom_webhooks`,
    organizationColumn: sql`t.organization_id`,
    provider: sql`null::text`,
    context: (row) => sealContext.customWebhook(row.organization_id, row.id),
    update: (row, next) =>
      sql`update custom_webhooks set secret = ${next} where id = ${row.id} and secret = ${row.sealed}`,
  },
  {
    name: "organizations.settings.eventsWebhook.secret",
    value: sql`t.settings #>> '{eventsWebhook,secret}'`,
    table: sql`organizations`,
    organizationColumn: sql`t.id`,
    provider: sql`null::text`,
    context: (row) => sealContext.eventsWebhook(row.id),
    update: (row, next) =>
      sql`update organizations set settings = jsonb_set(settings, '{eventsWebhook,secret}', to_jsonb(${next}::text))
          where id = ${row.id} and settings #>> '{eventsWebhook,secret}' = ${row.sealed}`,
  },
];

/**
 * Rows of a field not sealed under `kid`, in id order after `after`: one organization's, or every
 * organization's when none is given (the npm script).
 */
export function staleRows(
  field: SealedField,
  filter: { kid: string; organizationId?: string; after?: string; limit: number },
): SQL {
  const conditions = [
    sql`${field.value} is not null`,
    sql`${field.value} not like ${`v2.${filter.kid}.%`}`,
    filter.organizationId ? sql`${field.organizationColumn} = ${filter.organizationId}` : undefined,
    filter.after ? sql`t.id > ${filter.after}` : undefined,
  ].filter((c): c is SQL => c !== undefined);
  return sql`select t.id::text as id, ${field.organizationColumn}::text as organization_id, ${field.value} as sealed,
      ${field.provider} as provider
    from ${field.table} t where ${sql.join(conditions, sql` and `)} order by t.id limit ${filter.limit}`;
}

/** How many values of a field each key sealed (`v1`: sealed before values named their key). */
export function countByKey(field: SealedField, organizationId?: string): SQL {
  const key = sql`case when split_part(${field.value}, '.', 1) = 'v2' then split_part(${field.value}, '.', 2) else split_part(${field.value}, '.', 1) end`;
  return sql`select ${key} as kid, count(*)::int as count from ${field.table} t
    where ${field.value} is not null ${organizationId ? sql`and ${field.organizationColumn} = ${organizationId}` : sql``}
    group by 1`;
}
