import { type Column, getTableColumns, SQL, sql } from "drizzle-orm";
import { toSnakeCase } from "drizzle-orm/casing";
import type { PgInsertValue, PgTable } from "drizzle-orm/pg-core";

type Slot = { key: string; column: Column; name: ReturnType<typeof sql.identifier>; cast: SQL };

// A table's columns as insertSelect writes them, worked out once per isolate: the hot statements
// (an inbound message's) insert into the same few tables on every request.
const layouts = new WeakMap<PgTable, Slot[]>();

function layout(table: PgTable): Slot[] {
  let slots = layouts.get(table);
  if (slots === undefined) {
    slots = Object.entries(getTableColumns(table)).map(([key, column]) => ({
      key,
      column,
      // The app's drizzle instances map property names with casing: "snake_case".
      name: sql.identifier(column.keyAsName ? toSnakeCase(column.name) : column.name),
      cast: sql.raw(`::${column.getSQLType()}`),
    }));
    layouts.set(table, slots);
  }
  return slots;
}

/**
 * `insert into <table> (...) select <values> <tail>`, built from the drizzle schema: column names,
 * SQL types, driver encodings and `$defaultFn`s come from the table, so a statement that inserts
 * conditionally (inside a CTE, say) takes the same row object as an ordinary `.values()` insert
 * and a new column is added in one place. Values may be SQL (a CTE's column); every other value
 * is sent as a parameter cast to its column's type.
 */
export function insertSelect<T extends PgTable>(table: T, values: PgInsertValue<T>, tail: SQL): SQL {
  const names: Slot["name"][] = [];
  const expressions: SQL[] = [];
  const given = values as Record<string, unknown>;
  for (const { key, column, name, cast } of layout(table)) {
    let value = given[key];
    if (value === undefined) {
      if (!column.defaultFn) continue;
      value = column.defaultFn();
    }
    names.push(name);
    // instanceof, not drizzle's is(): one drizzle in the bundle, and is() walks the prototype
    // chain of every value that is not SQL (dates, payloads).
    expressions.push(value instanceof SQL ? value : sql`${sql.param(value, column)}${cast}`);
  }
  return sql`insert into ${table} (${sql.join(names, sql`, `)}) select ${sql.join(expressions, sql`, `)} ${tail}`;
}
