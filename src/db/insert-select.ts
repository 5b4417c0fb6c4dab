import { getTableColumns, is, SQL, sql } from "drizzle-orm";
import { toSnakeCase } from "drizzle-orm/casing";
import type { PgInsertValue, PgTable } from "drizzle-orm/pg-core";

/**
 * `insert into <table> (...) select <values> <tail>`, built from the drizzle schema: column names,
 * SQL types, driver encodings and `$defaultFn`s come from the table, so a statement that inserts
 * conditionally (inside a CTE, say) takes the same row object as an ordinary `.values()` insert
 * and a new column is added in one place. Values may be SQL (a CTE's column); every other value
 * is sent as a parameter cast to its column's type.
 */
export function insertSelect<T extends PgTable>(table: T, values: PgInsertValue<T>, tail: SQL): SQL {
  const names: SQL[] = [];
  const expressions: SQL[] = [];
  const given = values as Record<string, unknown>;
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    let value = given[key];
    if (value === undefined) {
      if (!column.defaultFn) continue;
      value = column.defaultFn();
    }
    // The app's drizzle instances map property names with casing: "snake_case".
    names.push(sql`${sql.identifier(column.keyAsName ? toSnakeCase(column.name) : column.name)}`);
    expressions.push(is(value, SQL) ? value : sql`${sql.param(value, column)}::${sql.raw(column.getSQLType())}`);
  }
  return sql`insert into ${table} (${sql.join(names, sql`, `)}) select ${sql.join(expressions, sql`, `)} ${tail}`;
}
