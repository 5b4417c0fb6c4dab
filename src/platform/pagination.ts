import { z } from "@hono/zod-openapi";
import type { ZodType } from "zod";
import { fromBase64Url, toBase64Url } from "./crypto";
import { ApiError } from "./errors";

export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(25).openapi({ description: "Page size (1-100)." }),
  cursor: z.string().max(512).optional().openapi({ description: "`nextCursor` of the previous page." }),
});

export function pageSchema<T extends ZodType>(item: T, name: string) {
  return z
    .object({
      data: z.array(item),
      nextCursor: z.string().nullable().openapi({ description: "Null on the last page." }),
    })
    .openapi(name);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Cursors are opaque to callers: base64url JSON of the last row's sort key. */
export function encodeCursor(key: Record<string, string>): string {
  return toBase64Url(encoder.encode(JSON.stringify(key)));
}

export function decodeCursor<T extends ZodType>(cursor: string | undefined, schema: T): z.infer<T> | undefined {
  if (cursor === undefined) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(decoder.decode(fromBase64Url(cursor))));
    if (parsed.success) return parsed.data;
  } catch {
    // fall through to the error below
  }
  throw new ApiError("BAD_REQUEST", "The cursor is invalid; pass the nextCursor of a previous page.");
}

export const idCursor = z.object({ id: z.uuid() });

/** Fetch `limit + 1` rows, then call this: it trims the extra row and builds the next cursor. */
export function toPage<Row, Item>(
  rows: Row[],
  limit: number,
  cursorOf: (row: Row) => Record<string, string>,
  present: (row: Row) => Item,
): { data: Item[]; nextCursor: string | null } {
  const more = rows.length > limit;
  const pageRows = more ? rows.slice(0, limit) : rows;
  const last = pageRows.at(-1);
  return { data: pageRows.map(present), nextCursor: more && last ? encodeCursor(cursorOf(last)) : null };
}
