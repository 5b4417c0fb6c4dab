import {
  type BuildQueryConfig,
  Column,
  entityKind,
  Name,
  Param,
  type Query,
  SQL,
  StringChunk,
  Table,
} from "drizzle-orm";
import type { PgDialect } from "drizzle-orm/pg-core";
import { noteCompiled } from "./prepared";

type Config = BuildQueryConfig & { casing: { getColumnCasing(column: Column): string } };

// drizzle's keys for a table's name, schema and alias flag (drizzle-orm/table.js).
const TableName = Symbol.for("drizzle:Name");
const TableSchema = Symbol.for("drizzle:Schema");
const IsAlias = Symbol.for("drizzle:IsAlias");
const inlines = (chunk: SQL) => (chunk as unknown as { shouldInlineParams: boolean }).shouldInlineParams;

// Chunk kinds this compiler does not handle itself (views, subqueries, placeholders, aliases,
// enums, query builders, inlined literals) go to drizzle's own builder, one chunk at a time.
const drizzleBuilder = new SQL([]);

/**
 * drizzle's SQL-to-text step, for the chunks statements are made of (text, names, tables,
 * columns, parameters, nested SQL), with `instanceof` and one output buffer. drizzle's builder
 * tests every chunk against each kind with `is()`, which walks the prototype chain on every miss,
 * and merges an object per chunk: about 0.5 ms of CPU for an inbound message's statement, as much
 * as the rest of the request's JavaScript. The output is the same text and parameters: the test
 * suite compiles every statement both ways and compares (`compareWithDrizzle`).
 */
export function compileSql(root: SQL, config: Config): Query {
  let text = "";
  const params: unknown[] = [];
  const counter = config.paramStartIndex ?? { value: 0 };
  const delegate = (chunk: unknown, inline: boolean) => {
    const built = drizzleBuilder.buildQueryFromSourceParams([chunk as SQL], {
      ...config,
      inlineParams: inline,
      paramStartIndex: counter,
    });
    text += built.sql;
    for (const param of built.params) params.push(param);
  };
  const visit = (chunk: unknown, inline: boolean): void => {
    if (chunk instanceof StringChunk) {
      text += chunk.value.length === 1 ? chunk.value[0] : chunk.value.join("");
    } else if (chunk instanceof Param) {
      const { value, encoder } = chunk;
      if (inline || !isParameter(value)) {
        delegate(chunk, inline);
        return;
      }
      const mapped = value === null ? null : encoder.mapToDriverValue(value);
      if (mapped instanceof SQL) {
        visit(mapped, inline);
        return;
      }
      params.push(mapped);
      text += config.escapeParam(counter.value++, mapped);
    } else if (chunk instanceof SQL) {
      const nested = inline || inlines(chunk);
      for (const part of chunk.queryChunks) visit(part, nested);
    } else if (chunk instanceof Name) {
      text += config.escapeName(chunk.value);
    } else if (chunk === undefined) {
      // drizzle writes nothing for an undefined chunk
    } else if (Array.isArray(chunk)) {
      text += "(";
      for (let i = 0; i < chunk.length; i++) {
        if (i > 0) text += ", ";
        visit(chunk[i], inline);
      }
      text += ")";
    } else if (chunk instanceof Column) {
      const name = config.escapeName(config.casing.getColumnCasing(chunk));
      if (config.invokeSource === "indexes") {
        text += name;
        return;
      }
      const table = chunk.table as unknown as Record<symbol, unknown>;
      const schema = table[TableSchema] as string | undefined;
      const tableName = config.escapeName(table[TableName] as string);
      text +=
        table[IsAlias] || schema === undefined
          ? `${tableName}.${name}`
          : `${config.escapeName(schema)}.${tableName}.${name}`;
    } else if (chunk instanceof Table) {
      const table = chunk as unknown as Record<symbol, unknown>;
      const schema = table[TableSchema] as string | undefined;
      const tableName = config.escapeName(table[TableName] as string);
      text += schema === undefined || table[IsAlias] ? tableName : `${config.escapeName(schema)}.${tableName}`;
    } else if (!inline && isParameter(chunk)) {
      params.push(chunk);
      text += config.escapeParam(counter.value++, chunk);
    } else {
      delegate(chunk, inline);
    }
  };
  visit(root, inlines(root));
  return { sql: text, params };
}

/**
 * A value drizzle sends as a parameter as it is: a primitive or null, or an object that is not one
 * of its entities (whose classes carry `entityKind`) nor has `getSQL` (a query builder): plain
 * objects, arrays of values, Dates. Anything else (functions: enums) is drizzle's to build.
 */
function isParameter(value: unknown): boolean {
  if (value === null || (typeof value !== "object" && typeof value !== "function")) return true;
  if (typeof value === "function" || typeof (value as { getSQL?: unknown }).getSQL === "function") return false;
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null || proto === Array.prototype || proto === Date.prototype) {
    return true;
  }
  for (let cls = proto?.constructor; cls; cls = Object.getPrototypeOf(cls)) {
    if (Object.hasOwn(cls, entityKind)) return false;
  }
  return true;
}

let compare = false;
/** Tests: compile every statement with drizzle too and throw when the two differ. */
export function compareWithDrizzle(on: boolean): void {
  compare = on;
}

/** Makes the dialect (and every session built on it) compile with `compileSql`. */
export function useCompiler(dialect: PgDialect): void {
  const original = dialect.sqlToQuery.bind(dialect);
  // Once per dialect, not per statement.
  const base = {
    casing: (dialect as unknown as Pick<Config, "casing">).casing,
    escapeName: dialect.escapeName.bind(dialect),
    escapeParam: dialect.escapeParam.bind(dialect),
    escapeString: dialect.escapeString.bind(dialect),
  };
  dialect.sqlToQuery = (sql, invokeSource) => {
    const query = compileSql(sql, { ...base, invokeSource });
    noteCompiled(sql, query.sql);
    if (compare) {
      const expected = original(sql, invokeSource);
      if (expected.sql !== query.sql || !sameParams(expected.params, query.params)) {
        throw new Error(`compileSql differs from drizzle:\n${expected.sql}\n---\n${query.sql}`);
      }
    }
    return query;
  };
}

function sameParams(a: unknown[], b: unknown[]): boolean {
  return a.length === b.length && a.every((value, i) => Object.is(value, b[i]));
}
