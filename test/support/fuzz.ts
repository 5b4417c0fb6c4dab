// Mutated webhook bodies for the fuzz drill, from a seeded PRNG so that any failure replays.
// Pure functions, no runtime imports: the contract suite runs a few hundred per route inside
// workerd, and `npm run drill` can run ten thousand from Node with the same generator.
//
// Each case starts from one of a provider's valid bodies and applies one to three mutations:
// dropped keys, wrong types, huge and empty strings, NUL and lone surrogates inside strings,
// deep nesting, arrays for objects, unknown keys and unknown event/message types, odd numbers.
// Form bodies (Twilio) stay flat string maps: a non-string replacement goes in as its JSON text.
// A seed replays the same mutations of the same samples; ids and timestamps inside the samples
// are fresh on every run, so that one run's messages are never another's duplicates.

export type Encoding = "json" | "form";
export type FuzzCase = { index: number; seed: number; mutations: string[]; body: unknown };

/** A 32-bit hash of the parts (FNV-1a), to derive one seed per provider, route and case. */
export function seedOf(...parts: (string | number)[]): number {
  let hash = 0x811c9dc5;
  for (const char of parts.join("\u0001")) {
    hash ^= char.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** mulberry32: small, fast, and the same sequence on every runtime (the drills seed their faults with it too). */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rng = () => number;
type Path = (string | number)[];
type Node = { path: Path; value: unknown };

const int = (rng: Rng, min: number, max: number) => min + Math.floor(rng() * (max - min + 1));
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)] as T;
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const label = (path: Path) => (path.length ? path.join(".") : "(root)");

/** Every node of the tree, parents before children (iterative: bodies may be thousands deep). */
function nodes(root: unknown): Node[] {
  const all: Node[] = [];
  const stack: Node[] = [{ path: [], value: root }];
  for (let node = stack.pop(); node; node = stack.pop()) {
    all.push(node);
    const { path, value } = node;
    const children: [string | number, unknown][] = Array.isArray(value)
      ? value.map((item, i) => [i, item])
      : isObject(value)
        ? Object.entries(value)
        : [];
    for (const [key, item] of children) stack.push({ path: [...path, key], value: item });
  }
  return all;
}

function child(parent: unknown, key: string | number): unknown {
  if (Array.isArray(parent)) return parent[Number(key)];
  return isObject(parent) ? parent[key] : undefined;
}

/** Replaces the value at `path`, or deletes it when `value` is `remove`; returns the new root. */
const remove = Symbol("remove");
function set(root: unknown, path: Path, value: unknown): unknown {
  const key = path.at(-1);
  if (key === undefined) return value;
  const parent = path.slice(0, -1).reduce(child, root);
  if (Array.isArray(parent)) {
    if (value === remove) parent.splice(Number(key), 1);
    else parent[Number(key)] = value;
  } else if (isObject(parent)) {
    if (value === remove) delete parent[key];
    // defineProperty, so that a key like "__proto__" becomes an own key that JSON.stringify sends.
    else Object.defineProperty(parent, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return root;
}

const TYPE_KEYS =
  /^(type|status|object|field|eventName|event|MessageType|SmsStatus|MessageStatus|kind|messaging_product)$/i;
const WRONG_TYPES: unknown[] = [0, -1, 1.5, 1e308, true, false, null, "x", "", {}, [], [1, "a"], { a: { b: [] } }];
const ODD_NUMBERS: unknown[] = [-1, 0, 2 ** 53 + 1, -0, "1e400", "NaN", "-1", "0x10", "99999999999999999999", 3.14];
const ODD_STRINGS = [
  "\u202e\u0645\u0631\u062d\u0628\u0627",
  "\ufeff",
  "😀".repeat(50),
  "\r\n\t",
  "\\",
  "%00",
  "'; drop table x; --",
];

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function insertAt(rng: Rng, text: string, piece: string): string {
  const at = int(rng, 0, text.length);
  return `${text.slice(0, at)}${piece}${text.slice(at)}`;
}

/** `leaf` inside `depth` arrays or objects. */
function nested(rng: Rng, depth: number, leaf: unknown): unknown {
  let value = leaf;
  const arrays = rng() < 0.5;
  for (let i = 0; i < depth; i++) value = arrays ? [value] : { a: value };
  return value;
}

type Mutation = (rng: Rng, root: unknown, all: Node[]) => { root: unknown; what: string } | null;

const strings = (all: Node[]) => all.filter((n) => typeof n.value === "string");
const members = (all: Node[]) => all.filter((n) => n.path.length > 0);

const mutations: Record<string, Mutation> = {
  "drop key": (rng, root, all) => {
    const targets = members(all);
    if (!targets.length) return null;
    const { path } = pick(rng, targets);
    return { root: set(root, path, remove), what: label(path) };
  },
  "wrong type": (rng, root, all) => {
    const { path, value } = pick(rng, all);
    const replacement = pick(
      rng,
      WRONG_TYPES.filter((v) => typeof v !== typeof value || Array.isArray(v) !== Array.isArray(value)),
    );
    return {
      root: set(root, path, structuredClone(replacement)),
      what: `${label(path)} = ${JSON.stringify(replacement)}`,
    };
  },
  "huge string": (rng, root, all) => {
    const targets = strings(all);
    const { path } = targets.length ? pick(rng, targets) : pick(rng, all);
    // Past any column's or index's comfort (a btree row stops near 2.7 kB, after compression: hence
    // random text too), now and then past the 1 MiB body limit.
    if (rng() < 0.3) {
      const length = int(rng, 3_000, 20_000);
      const text = Array.from({ length }, () => ALPHANUMERIC.charAt(int(rng, 0, ALPHANUMERIC.length - 1))).join("");
      return { root: set(root, path, text), what: `${label(path)} (${length} random)` };
    }
    const unit = pick(rng, ["A", "ção", "😀", "\u00e9", "olá mundo ", "5511987654321 "]);
    const length = rng() < 0.05 ? 1_100_000 : int(rng, 3_000, 60_000);
    return { root: set(root, path, unit.repeat(Math.ceil(length / unit.length))), what: `${label(path)} (${length})` };
  },
  "empty string": (rng, root, all) => {
    const targets = strings(all);
    if (!targets.length) return null;
    const { path } = pick(rng, targets);
    return { root: set(root, path, ""), what: label(path) };
  },
  NUL: (rng, root, all) => {
    const targets = strings(all);
    if (!targets.length) return null;
    const { path, value } = pick(rng, targets);
    return { root: set(root, path, insertAt(rng, String(value), "\u0000")), what: label(path) };
  },
  "lone surrogate": (rng, root, all) => {
    const targets = strings(all);
    if (!targets.length) return null;
    const { path, value } = pick(rng, targets);
    const surrogate = pick(rng, ["\ud800", "\udfff", "\ud83d"]);
    return { root: set(root, path, insertAt(rng, String(value), surrogate)), what: label(path) };
  },
  "odd string": (rng, root, all) => {
    const targets = strings(all);
    if (!targets.length) return null;
    const { path, value } = pick(rng, targets);
    return { root: set(root, path, insertAt(rng, String(value), pick(rng, ODD_STRINGS))), what: label(path) };
  },
  "deep nesting": (rng, root, all) => {
    const { path, value } = pick(rng, members(all).length ? members(all) : all);
    const depth = int(rng, 50, 1000);
    return { root: set(root, path, nested(rng, depth, value)), what: `${label(path)} (${depth} deep)` };
  },
  "array for object": (rng, root, all) => {
    const targets = all.filter((n) => isObject(n.value) || Array.isArray(n.value));
    if (!targets.length) return null;
    const { path, value } = pick(rng, targets);
    const swapped = Array.isArray(value) ? { ...value } : [value];
    return { root: set(root, path, swapped), what: label(path) };
  },
  "unknown type": (rng, root, all) => {
    const typed = all.filter((n) => typeof n.value === "string" && TYPE_KEYS.test(String(n.path.at(-1))));
    const targets = typed.length ? typed : strings(all);
    if (!targets.length) return null;
    const { path } = pick(rng, targets);
    const unknown = `unknown_${Math.floor(rng() * 1e6).toString(36)}`;
    return { root: set(root, path, unknown), what: `${label(path)} = ${unknown}` };
  },
  "unknown key": (rng, root, all) => {
    const targets = all.filter((n) => isObject(n.value));
    if (!targets.length) return null;
    const { path } = pick(rng, targets);
    const key = pick(rng, ["__proto__", "constructor", "x-extra", "errors", "type", "", "😀"]);
    return { root: set(root, [...path, key], structuredClone(pick(rng, WRONG_TYPES))), what: `${label(path)}.${key}` };
  },
  "odd number": (rng, root, all) => {
    const numeric = all.filter(
      (n) => typeof n.value === "number" || (typeof n.value === "string" && /^-?\d+(\.\d+)?$/.test(n.value)),
    );
    const targets = numeric.length ? numeric : members(all);
    if (!targets.length) return null;
    const { path } = pick(rng, targets);
    const replacement = pick(rng, ODD_NUMBERS);
    return { root: set(root, path, replacement), what: `${label(path)} = ${String(replacement)}` };
  },
  "duplicate element": (rng, root, all) => {
    const targets = all.filter((n) => Array.isArray(n.value) && n.value.length > 0);
    if (!targets.length) return null;
    const { path, value } = pick(rng, targets);
    if (!Array.isArray(value)) return null;
    return { root: set(root, [...path, value.length], structuredClone(pick(rng, value))), what: label(path) };
  },
  "other root": (rng, root) => {
    const replacement = pick(rng, [[], null, "text", 42, [root], { data: root }]);
    return { root: structuredClone(replacement), what: JSON.stringify(replacement).slice(0, 40) };
  },
};

// Form bodies are flat: mutations that need structure are left out, replacements become text.
const FORM_MUTATIONS = Object.keys(mutations).filter((name) => !["other root", "duplicate element"].includes(name));

function flatten(body: unknown): Record<string, string> {
  if (!isObject(body)) return { Body: typeof body === "string" ? body : JSON.stringify(body) };
  return Object.fromEntries(
    Object.entries(body).map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)]),
  );
}

/** Case `index` of a run: the same seed and index always give the same body. */
export function fuzzCase(samples: readonly unknown[], encoding: Encoding, seed: number, index: number): FuzzCase {
  const caseSeed = seedOf(seed, index);
  const rng = prng(caseSeed);
  let root: unknown = structuredClone(pick(rng, samples));
  const names = encoding === "form" ? FORM_MUTATIONS : Object.keys(mutations);
  const applied: string[] = [];
  for (let n = int(rng, 1, 3); n > 0; n--) {
    const name = pick(rng, names);
    const all = encoding === "form" ? nodes(root).filter((node) => node.path.length <= 1) : nodes(root);
    const result = mutations[name]?.(rng, root, all);
    if (!result) continue;
    root = encoding === "form" ? flatten(result.root) : result.root;
    applied.push(`${name}: ${result.what}`);
  }
  return { index, seed: caseSeed, mutations: applied, body: root };
}

/** `cases` mutated bodies, starting from the given valid ones. */
export function* fuzzCases(samples: readonly unknown[], options: { encoding: Encoding; seed: number; cases: number }) {
  for (let index = 0; index < options.cases; index++) yield fuzzCase(samples, options.encoding, options.seed, index);
}
