import { describe, expect, it } from "vitest";
import { normalizePhone } from "./phone";

describe("normalizePhone", () => {
  it.each([
    ["5511987654321", "+5511987654321"],
    ["+55 (11) 98765-4321", "+5511987654321"],
    ["551187654321", "+5511987654321"],
    ["+55 11 8765-4321", "+5511987654321"],
    ["whatsapp:+5511987654321", "+5511987654321"],
    ["5511987654321@c.us", "+5511987654321"],
    ["(11) 98765-4321", "+5511987654321"],
    ["+551133334444", "+551133334444"],
    ["+14155552671", "+14155552671"],
    ["+5215512345678", "+525512345678"],
  ])("%s → %s", (input, expected) => {
    expect(normalizePhone(input)).toBe(expected);
  });

  it.each(["", "abc", "123", "+99999"])("rejects %s", (input) => {
    expect(normalizePhone(input)).toBeNull();
  });
});
