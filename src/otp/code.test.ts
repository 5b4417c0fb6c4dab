import { afterEach, describe, expect, it, vi } from "vitest";
import { newCode, otpKeyring } from "./code";

afterEach(() => vi.restoreAllMocks());

/** Makes crypto.getRandomValues hand out these 32-bit words, one per call. */
function words(...values: number[]) {
  const queue = [...values];
  return vi.spyOn(crypto, "getRandomValues").mockImplementation((array) => {
    (array as Uint32Array)[0] = queue.shift() as number;
    return array;
  });
}

describe("newCode", () => {
  it("draws again a word from the top partial range, so no code is likelier than another", () => {
    // 4,294,000,000 is the first word past the last whole run of 10^6; 4,293,999,999 the last one in it.
    const spy = words(4_294_000_000, 2 ** 32 - 1, 4_293_999_999);
    expect(newCode()).toBe("999999");
    expect(spy).toHaveBeenCalledTimes(3);
  });

  it("keeps leading zeros: always six digits", () => {
    words(7);
    expect(newCode()).toBe("000007");
  });
});

describe("otpKeyring", () => {
  const a = "first-pepper-key-with-at-least-32-characters";
  const b = "second-pepper-key-with-at-least-32-characters";

  it("hashes with the first key and still checks and opens what an older key made", async () => {
    const old = await otpKeyring({ OTP_PEPPER: b });
    const hash = await old.hash(old.current, "challenge-1", "123456");
    const sealed = await old.seal(old.current, "challenge-1", "123456");
    const rotated = await otpKeyring({ OTP_PEPPER: `${a},${b}` });
    expect(rotated.current.id).not.toBe(old.current.id);
    expect(await rotated.matches(old.current.id, "challenge-1", "123456", hash)).toBe(true);
    expect(await rotated.matches(old.current.id, "challenge-1", "123457", hash)).toBe(false);
    expect(await rotated.matches(old.current.id, "challenge-2", "123456", hash), "bound to its challenge").toBe(false);
    expect(await rotated.open(old.current.id, "challenge-1", sealed)).toBe("123456");
    await expect(rotated.open(old.current.id, "challenge-2", sealed)).rejects.toThrow();

    const dropped = await otpKeyring({ OTP_PEPPER: a });
    expect(await dropped.matches(old.current.id, "challenge-1", "123456", hash)).toBe(false);
    await expect(dropped.open(old.current.id, "challenge-1", sealed)).rejects.toThrow(/no longer holds/);
  });

  it("refuses to work without a pepper", () => {
    expect(() => otpKeyring({ OTP_PEPPER: undefined })).toThrow(/OTP_PEPPER/);
  });
});
