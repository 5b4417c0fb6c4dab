import { describe, expect, it } from "vitest";
import { cleanDeep, cleanText, findUnsafeText, MAX_JSON_DEPTH, TOO_DEEP } from "./text";

describe("text PostgreSQL can store", () => {
  it("removes NUL and replaces lone surrogates, keeping pairs and everything else", () => {
    expect(cleanText("oi\u0000tudo bem")).toBe("oitudo bem");
    expect(cleanText("a\ud800b")).toBe("a\ufffdb");
    expect(cleanText("a\udc00b")).toBe("a\ufffdb");
    expect(cleanText("end\ud83d")).toBe("end\ufffd");
    expect(cleanText("emoji 😀 ok")).toBe("emoji 😀 ok");
    expect(cleanText("tab\tnew\nline ção")).toBe("tab\tnew\nline ção");
  });

  it("cleans keys and values at any depth and returns clean values untouched", () => {
    const clean = { a: ["x", { b: "y" }], n: 1, z: null };
    expect(cleanDeep(clean)).toBe(clean);
    const dirty = { "k\u0000": ["x\u0000", { b: "\ud800" }], when: new Date(0) };
    const cleaned = cleanDeep(dirty);
    expect(cleaned).toEqual({ k: ["x", { b: "\ufffd" }], when: new Date(0) });
    expect(dirty["k\u0000"][0]).toBe("x\u0000");
  });

  it("names the path of the first unsafe string", () => {
    expect(findUnsafeText({ a: { b: ["ok", "no\u0000"] } })).toEqual(["a", "b", 1]);
    expect(findUnsafeText({ "bad\ud800key": 1 })).toEqual(["bad\ud800key"]);
    expect(findUnsafeText({ a: "fine", b: [1, true, null] })).toBeNull();
  });
});

describe("deeply nested JSON", () => {
  const nest = (depth: number, leaf: unknown): unknown => (depth === 0 ? leaf : { a: nest(depth - 1, leaf) });

  it("keeps nesting up to the limit and replaces what lies deeper", () => {
    const shallow = nest(MAX_JSON_DEPTH, "x\u0000");
    expect(JSON.stringify(cleanDeep(shallow))).toBe(JSON.stringify(nest(MAX_JSON_DEPTH, "x")));
    expect(JSON.stringify(cleanDeep(nest(MAX_JSON_DEPTH + 5, "fine")))).toBe(
      JSON.stringify(nest(MAX_JSON_DEPTH, TOO_DEEP)),
    );
  });

  it("reports nesting past the limit as unstorable", () => {
    expect(findUnsafeText(nest(MAX_JSON_DEPTH - 1, "ok"))).toBeNull();
    expect(findUnsafeText(nest(MAX_JSON_DEPTH + 1, "ok"))).toHaveLength(MAX_JSON_DEPTH);
  });
});
