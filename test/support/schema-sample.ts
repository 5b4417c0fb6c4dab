// Request bodies generated from the API's own OpenAPI document: a valid sample of a JSON schema,
// then seeded mutations of it, for the API fuzz drill.
import { prng } from "./fuzz";

type Schema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  default?: unknown;
  example?: unknown;
  additionalProperties?: Schema | boolean;
};

export type Random = { next(): number; int(n: number): number; pick<T>(items: readonly T[]): T };

export function seeded(seed: number): Random {
  const next = prng(seed);
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: (items) => items[int(items.length)] as (typeof items)[number] };
}

export type Components = Record<string, Schema>;

function resolve(schema: Schema, components: Components): Schema {
  let current = schema;
  for (let i = 0; current.$ref && i < 10; i++) current = components[current.$ref.split("/").pop() ?? ""] ?? {};
  return current;
}

function sampleString(schema: Schema, random: Random): string {
  switch (schema.format) {
    case "uuid":
      return crypto.randomUUID();
    case "email":
      return `fuzz${random.int(1e6)}@example.com`;
    case "uri":
    case "url":
      return `https://example.com/${random.int(1e6)}`;
    case "date-time":
      return new Date(Date.UTC(2026, 0, 1 + random.int(300))).toISOString();
  }
  const length = Math.max(schema.minLength ?? 1, Math.min(schema.maxLength ?? 12, 12));
  return `v${random.int(1e9).toString(36)}`.padEnd(length, "x").slice(0, Math.max(length, 1));
}

/** A value that satisfies the schema as far as a generator can tell (patterns are not honoured). */
export function sample(schemaIn: Schema, components: Components, random: Random, depth = 0): unknown {
  const schema = resolve(schemaIn, components);
  if (schema.const !== undefined) return schema.const;
  // Examples are valid where a generator cannot be (phone numbers, patterns).
  if (schema.example !== undefined && random.next() < 0.7) return schema.example;
  if (schema.enum) return random.pick(schema.enum);
  const choices = schema.anyOf ?? schema.oneOf;
  if (choices) return sample(random.pick(choices), components, random, depth + 1);
  if (schema.allOf) return Object.assign({}, ...schema.allOf.map((s) => sample(s, components, random, depth + 1)));
  const type = Array.isArray(schema.type) ? random.pick(schema.type.filter((t) => t !== "null")) : schema.type;
  switch (type) {
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [key, prop] of Object.entries(schema.properties ?? {})) {
        if (schema.required?.includes(key) || random.next() < 0.6)
          out[key] = sample(prop, components, random, depth + 1);
      }
      return out;
    }
    case "array":
      return depth > 6 || !schema.items
        ? []
        : Array.from({ length: Math.max(schema.minItems ?? 0, random.int(3)) }, () =>
            sample(schema.items as Schema, components, random, depth + 1),
          );
    case "string":
      return sampleString(schema, random);
    case "integer":
    case "number": {
      const min = schema.minimum ?? 0;
      const max = schema.maximum ?? min + 100;
      return min + random.int(Math.max(1, Math.min(max - min, 1000)));
    }
    case "boolean":
      return random.next() < 0.5;
    default:
      return null;
  }
}

const nasty = [
  "",
  "nul\u0000inside",
  "lone\ud800surrogate",
  "\udfff",
  "x".repeat(100_000),
  "'; drop table contacts; --",
  "😀".repeat(50),
  " ",
  "%00",
];
const weird: unknown[] = [null, 0, -1, 1e308, true, [], {}, [[[]]], "string", { $ne: null }];

function deep(level: number): unknown {
  return level === 0 ? "bottom" : { nested: deep(level - 1) };
}

/** One seeded mutation of a value: a dropped key, a wrong type, a nasty string, deep nesting. */
export function mutate(value: unknown, random: Random): unknown {
  if (value === null || typeof value !== "object") {
    const roll = random.int(3);
    if (roll === 0) return random.pick(nasty);
    if (roll === 1) return random.pick(weird);
    return typeof value === "string" ? `${value}${random.pick(nasty)}` : random.pick(weird);
  }
  if (Array.isArray(value)) {
    if (value.length === 0 || random.next() < 0.3) return random.pick([{}, "not an array", [random.pick(weird)]]);
    const copy = value.slice();
    const i = random.int(copy.length);
    copy[i] = mutate(copy[i], random);
    return copy;
  }
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  const keys = Object.keys(copy);
  const roll = random.int(6);
  if (keys.length === 0 || roll === 0)
    copy[random.pick(["unknown", "__proto__x", "nul\u0000key"])] = random.pick(weird);
  else if (roll === 1) delete copy[random.pick(keys)];
  else if (roll === 2) return random.pick([[copy], "object expected", deep(64)]);
  else {
    const key = random.pick(keys);
    copy[key] = mutate(copy[key], random);
  }
  return copy;
}
