import { describe, expect, it } from "vitest";
import { createLogger, MAX_LOGGED_STRING, maskPii } from "./logger";

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

describe("log lines", () => {
  it("cut long strings before masking, and still mask what they keep", () => {
    const lines: string[] = [];
    const original = console.error;
    console.error = (line: string) => lines.push(line);
    try {
      createLogger("info").error("boom", { body: `ana@example.com ${"a".repeat(100_000)}` });
    } finally {
      console.error = original;
    }
    const body = JSON.parse(lines[0] ?? "{}").body as string;
    expect(body.length).toBeLessThan(MAX_LOGGED_STRING + 100);
    expect(body).toMatch(/^a\*\*\*@example\.com a+…\(98016 more characters\)$/);
  });
});
