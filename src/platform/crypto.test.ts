import { describe, expect, it } from "vitest";
import { TEST_SECRETS } from "../../test/support/env";
import { decryptSecret, encryptSecret, hmacSha256Hex, timingSafeEqual } from "./crypto";
import { hashPassword, needsRehash, verifyPassword } from "./password";

const key = TEST_SECRETS.ENCRYPTION_KEY;

describe("AES-GCM secrets at rest", () => {
  it("round-trips and never repeats a ciphertext", async () => {
    const a = await encryptSecret(key, "token-123", "channel:1");
    const b = await encryptSecret(key, "token-123", "channel:1");
    expect(a).not.toBe(b);
    expect(a).not.toContain("token-123");
    expect(await decryptSecret(key, a, "channel:1")).toBe("token-123");
  });

  it("refuses a ciphertext moved to another context or tampered with", async () => {
    const sealed = await encryptSecret(key, "secret", "channel:1");
    await expect(decryptSecret(key, sealed, "channel:2")).rejects.toThrow();
    // A character in the middle of the ciphertext: all six of its bits are data (the last
    // character's low bits are padding, and changing the last two could leave them as they were).
    const at = sealed.lastIndexOf(".") + 5;
    const tampered = `${sealed.slice(0, at)}${sealed[at] === "A" ? "B" : "A"}${sealed.slice(at + 1)}`;
    expect(tampered).not.toBe(sealed);
    await expect(decryptSecret(key, tampered, "channel:1")).rejects.toThrow();
  });
});

describe("timingSafeEqual", () => {
  it("compares content and length", async () => {
    expect(await timingSafeEqual("abc", "abc")).toBe(true);
    expect(await timingSafeEqual("abc", "abd")).toBe(false);
    expect(await timingSafeEqual("abc", "abcd")).toBe(false);
    expect(await timingSafeEqual("", "")).toBe(true);
  });
});

describe("HMAC-SHA256", () => {
  it("matches the RFC 4231 test case 2", async () => {
    expect(await hmacSha256Hex("Jefe", "what do ya want for nothing?")).toBe(
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    );
  });
});

describe("password hashing (scrypt)", () => {
  it("verifies the right password only and stores its parameters", async () => {
    const stored = await hashPassword("correct horse battery staple");
    expect(stored).toMatch(/^scrypt\$N=16384,r=8,p=5\$/);
    expect(await verifyPassword("correct horse battery staple", stored)).toBe(true);
    expect(await verifyPassword("correct horse battery stapl", stored)).toBe(false);
    expect(needsRehash(stored)).toBe(false);
    expect(needsRehash("scrypt$N=1024,r=8,p=1$AAAA$AAAA")).toBe(true);
  });
});
