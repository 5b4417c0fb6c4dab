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

/** A sealed text column of an organization-owned table (`organization_id`), rewritten compare-and-set. */
function sealedColumn(
  table: string,
  column: string,
  context: SealedField["context"],
  provider: SQL = sql`null::text`,
): SealedField {
  const [t, c] = [sql.identifier(table), sql.identifier(column)];
  return {
    name: `${table}.${column}`,
    value: sql`t.${c}`,
    table: sql`${t}`,
    organizationColumn: sql`t.organization_id`,
    provider,
    context,
    update: (row, next) => sql`update ${t} set ${c} = ${next} where id = ${row.id} and ${c} = ${row.sealed}`,
  };
}

export const sealedFields: SealedField[] = [
  sealedColumn("channels", "credentials", (row) => sealContext.channelCredentials(row.id)),
  sealedColumn("channels", "webhook_secret", (row) => sealContext.channelWebhookSecret(row.id)),
  sealedColumn(
    "integrations",
    "secrets",
    (row) => sealContext.integration(row.organization_id, row.provider ?? ""),
    sql`t.provider`,
  ),
  sealedColumn("custom_webhooks", "secret", (row) => sealContext.customWebhook(row.organization_id, row.id)),
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
