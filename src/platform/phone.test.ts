import { describe, expect, it } from "vitest";
import { normalizePhone, senderPhone } from "./phone";

describe("normalizePhone", () => {
  it.each([
    ["5511987654321", "+5511987654321"],
    ["+55 (11) 98765-4321", "+5511987654321"],
    ["551187654321", "+5511987654321"],
    ["+55 11 8765-4321", "+5511987654321"],
    ["whatsapp:+5511987654321", "+5511987654321"],
    ["5511987654321@c.us", "+5511987654321"],
    ["(11) 98765-4321", "+5511987654321"],
    ["11987654321", "+5511987654321"],
    ["1133334444", "+551133334444"],
    ["+551133334444", "+551133334444"],
    ["+14155552671", "+14155552671"],
    ["+5215512345678", "+525512345678"],
  ])("%s → %s", (input, expected) => {
    expect(normalizePhone(input)).toBe(expected);
  });

  it.each(["", "abc", "123", "+99999"])("rejects %s", (input) => {
    expect(normalizePhone(input)).toBeNull();
  });

  it("answers a repeated number the same, per default country (the answers are kept per isolate)", () => {
    for (let round = 0; round < 2; round++) {
      expect(normalizePhone("(11) 98765-4321", "BR")).toBe("+5511987654321");
      expect(normalizePhone("(11) 98765-4321", "US")).toBeNull();
      expect(normalizePhone("(415) 555-2671", "US")).toBe("+14155552671");
      expect(normalizePhone("abc")).toBeNull();
    }
  });
});

describe("senderPhone", () => {
  it.each([
    ["5511987654321", "+5511987654321"],
    ["551187654321", "+5511987654321"],
    ["whatsapp:+14155552671", "+14155552671"],
    ["+5215512345678", "+525512345678"],
  ])("normalizes a valid number %s to %s, verified", (input, phone) => {
    expect(senderPhone(input)).toEqual({ phone, verified: true });
  });

  it.each([
    ["972987654321", "+972987654321"],
    ["whatsapp:+972987654321", "+972987654321"],
    ["123456", "+123456"],
    ["+1 (999) 000-0000 00", "+1999000000000"],
    ["123456789012345", "+123456789012345"],
  ])("keeps a number libphonenumber calls invalid, %s, as its digits, unverified", (input, phone) => {
    expect(normalizePhone(input)).toBeNull();
    expect(senderPhone(input)).toEqual({ phone, verified: false });
  });

  it.each(["", "abc", "12345", "+99999", "MyBrand", "1234567890123456", "status@broadcast"])("refuses %s", (input) => {
    expect(senderPhone(input)).toBeNull();
  });
});
