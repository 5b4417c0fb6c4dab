import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { namesStatements } from "@/platform/db";
import { noteCompiled, prepared, statementName } from "./prepared";

describe("prepared statements", () => {
  it("names only marked statements, the same text with the same name", () => {
    const marked = prepared(sql`select 1 as marked_${sql.raw(String(Date.now()))}`);
    const other = sql`select 2`;
    noteCompiled(marked, "select $1 -- marked");
    noteCompiled(other, "select $1 -- other");
    const name = statementName("select $1 -- marked");
    expect(name).toMatch(/^sb_[0-9a-z]+$/);
    expect(statementName("select $1 -- other")).toBeUndefined();
    noteCompiled(prepared(sql`select 3`), "select $1 -- marked");
    expect(statementName("select $1 -- marked")).toBe(name);
    noteCompiled(prepared(sql`select 4`), "select $1 -- marked too");
    expect(statementName("select $1 -- marked too")).not.toBe(name);
  });

  it("are on for Neon hosts by default, off elsewhere unless asked", () => {
    const neon = "postgres://u:p@ep-cool-123-pooler.us-east-2.aws.neon.tech/db";
    const local = "postgres://postgres@127.0.0.1:6432/db";
    expect(namesStatements({ DATABASE_URL: neon, DATABASE_PREPARED_STATEMENTS: "auto" })).toBe(true);
    expect(namesStatements({ DATABASE_URL: local, DATABASE_PREPARED_STATEMENTS: "auto" })).toBe(false);
    expect(namesStatements({ DATABASE_URL: local, DATABASE_PREPARED_STATEMENTS: "on" })).toBe(true);
    expect(namesStatements({ DATABASE_URL: neon, DATABASE_PREPARED_STATEMENTS: "off" })).toBe(false);
  });
});
