// Key lists: the first key seals and signs, every listed key still opens what it sealed, and each
// ciphertext names its key so the right one is found at once.
import { describe, expect, it } from "vitest";
import { decryptSecret, encryptSecret, keyId, keyList, sealedKeyId, toBase64 } from "@/platform/crypto";
import { envSchema } from "@/platform/env";
import { TEST_SECRETS } from "../support/env";

const A = TEST_SECRETS.ENCRYPTION_KEY;
const B = toBase64(crypto.getRandomValues(new Uint8Array(32)));

describe("ENCRYPTION_KEY as a list", () => {
  it("reads a comma-separated list, current first, ignoring blanks and repeats", () => {
    expect(keyList(A)).toEqual([A]);
    expect(keyList(` ${B} , ${A},,${B}`)).toEqual([B, A]);
  });

  it("seals with the first key as v2.<key id>, and opens with the key the value names", async () => {
    const sealed = await encryptSecret(`${B},${A}`, "token-123", "channel:1");
    expect(sealed).toMatch(/^v2\.[0-9a-f]{8}\.[\w-]+\.[\w-]+$/);
    expect(sealedKeyId(sealed)).toBe(await keyId(B));
    expect(await decryptSecret(`${A},${B}`, sealed, "channel:1")).toBe("token-123");
    expect(await decryptSecret(B, sealed, "channel:1")).toBe("token-123");
    await expect(decryptSecret(A, sealed, "channel:1")).rejects.toThrow(
      /sealed with key [0-9a-f]{8}, which is not configured/,
    );
    await expect(decryptSecret(`${B},${A}`, sealed, "channel:2")).rejects.toThrow();
  });

  it("opens a v1 value (which names no key) with whichever listed key sealed it", async () => {
    const v2 = await encryptSecret(A, "legacy", "integration:x");
    const [, , iv, ct] = v2.split(".");
    const v1 = `v1.${iv}.${ct}`;
    expect(sealedKeyId(v1)).toBeNull();
    expect(await decryptSecret(`${B},${A}`, v1, "integration:x")).toBe("legacy");
    await expect(decryptSecret(B, v1, "integration:x")).rejects.toThrow();
    await expect(decryptSecret(A, "v3.x.y", "integration:x")).rejects.toThrow("unrecognized ciphertext format");
  });

  it("names a key by a short hash that says nothing of the key", async () => {
    const id = await keyId(A);
    expect(id).toMatch(/^[0-9a-f]{8}$/);
    expect(await keyId(B)).not.toBe(id);
    expect(A).not.toContain(id);
  });
});

describe("the environment's key lists", () => {
  const base = { DATABASE_URL: "postgres://x@127.0.0.1/db", JWT_SECRET: TEST_SECRETS.JWT_SECRET };
  const issues = (env: Record<string, string>) =>
    envSchema.safeParse({ ...base, ...env }).error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`) ?? [];

  it("accepts one key or a list of valid keys, and refuses a list with one bad key", () => {
    expect(issues({ ENCRYPTION_KEY: A })).toEqual([]);
    expect(issues({ ENCRYPTION_KEY: `${B},${A}` })).toEqual([]);
    expect(issues({ ENCRYPTION_KEY: `${B},c2hvcnQ=` })).toEqual([
      "ENCRYPTION_KEY: must be 32 random bytes, base64 encoded",
    ]);
    expect(issues({ ENCRYPTION_KEY: "," })).toEqual(["ENCRYPTION_KEY: must be 32 random bytes, base64 encoded"]);
    expect(issues({ ENCRYPTION_KEY: A, JWT_SECRET: `${"n".repeat(40)},${TEST_SECRETS.JWT_SECRET}` })).toEqual([]);
    expect(issues({ ENCRYPTION_KEY: A, JWT_SECRET: `${"n".repeat(40)},short` })).toEqual([
      "JWT_SECRET: must be at least 32 characters",
    ]);
  });
});
