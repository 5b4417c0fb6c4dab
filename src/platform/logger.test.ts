import { describe, expect, it } from "vitest";
import { maskPii } from "./logger";

describe("maskPii", () => {
  it.each([
    ["+5511987654321", "+55*******4321"],
    ["call +55 (11) 98765-4321 now", "call +55*******4321 now"],
    ["from 5511987654321", "from 55*******4321"],
    ["ana.souza@example.com.br", "a***@example.com.br"],
    ["to: joe@x.io, +14155552671", "to: j***@x.io, +14*****2671"],
  ])("masks %s", (input, expected) => {
    expect(maskPii(input)).toBe(expected);
  });

  it.each(["0193a1b2-c3d4-7e5f-8a9b-000000000000", "2026-11-21T23:47:26.549Z", "req-12345678", "status 200 in 12 ms"])(
    "leaves %s alone",
    (input) => {
      expect(maskPii(input)).toBe(input);
    },
  );
});
