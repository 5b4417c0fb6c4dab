import {
  decryptSecret,
  encryptSecret,
  hmacSha256,
  hmacSha256Hex,
  sha256Hex,
  timingSafeEqual,
  toBase64,
} from "@/platform/crypto";
import type { Env } from "@/platform/env";
import { ApiError } from "@/platform/errors";

const SPACE = 1_000_000;
// The largest multiple of 10^6 that fits in 32 bits: words at or above it are drawn again, so
// every code is equally likely (a plain `% 10^6` would favour the low codes).
const LIMIT = Math.floor(2 ** 32 / SPACE) * SPACE;

/** Six digits from the CSPRNG, uniform by rejection sampling. */
export function newCode(): string {
  const word = new Uint32Array(1);
  for (;;) {
    crypto.getRandomValues(word);
    const value = word[0] as number;
    if (value < LIMIT) return String(value % SPACE).padStart(6, "0");
  }
}

/** What people type: spaces and dashes between the digits are not part of the code. */
export const normalizeCode = (input: string) => input.replace(/[\s-]/g, "");

type Key = { id: string; secret: string };

/**
 * The OTP pepper (OTP_PEPPER, comma-separated, the current key first). Each key has an id, a
 * fingerprint of it, stored next to what it hashed and sealed: after a rotation the old key still
 * checks and sends the challenges it made, until they expire and it can be dropped.
 */
export type OtpKeyring = {
  readonly current: Key;
  /** The stored form of a code: HMAC-SHA256 of challenge id and code, so equal codes never hash alike. */
  hash(key: Key, challengeId: string, code: string): Promise<string>;
  /** Constant-time check; false when the key that hashed it is no longer configured. */
  matches(keyId: string, challengeId: string, code: string, stored: string): Promise<boolean>;
  /** The code encrypted for the send job (AES-GCM, a key derived from the pepper, bound to the challenge). */
  seal(key: Key, challengeId: string, code: string): Promise<string>;
  open(keyId: string, challengeId: string, sealed: string): Promise<string>;
};

export class UnknownOtpKeyError extends Error {}

const sealContext = (challengeId: string) => `otp:${challengeId}`;

async function sealingKey(key: Key): Promise<string> {
  return toBase64(await hmacSha256(key.secret, "switchboard otp sealing key v1"));
}

async function build(pepper: string): Promise<OtpKeyring> {
  const keys: Key[] = await Promise.all(
    pepper.split(",").map(async (raw) => {
      const secret = raw.trim();
      return { id: (await sha256Hex(`switchboard otp key id\0${secret}`)).slice(0, 16), secret };
    }),
  );
  const current = keys[0] as Key;
  const byId = new Map(keys.map((k) => [k.id, k]));
  const hash = (key: Key, challengeId: string, code: string) => hmacSha256Hex(key.secret, `${challengeId}:${code}`);
  return {
    current,
    hash,
    async matches(keyId, challengeId, code, stored) {
      const key = byId.get(keyId);
      // Without its key the code cannot match; the same work is done so the answer takes as long.
      const computed = await hash(key ?? current, challengeId, code);
      return (await timingSafeEqual(computed, stored)) && key !== undefined;
    },
    async seal(key, challengeId, code) {
      return encryptSecret(await sealingKey(key), code, sealContext(challengeId));
    },
    async open(keyId, challengeId, sealed) {
      const key = byId.get(keyId);
      if (!key) throw new UnknownOtpKeyError(`OTP_PEPPER no longer holds key ${keyId}`);
      return decryptSecret(await sealingKey(key), sealed, sealContext(challengeId));
    },
  };
}

// Module scope on purpose: one keyring per pepper value for the isolate's lifetime (key ids are
// hashes, and the HMAC keys behind them are cached by crypto.ts anyway).
const keyrings = new Map<string, Promise<OtpKeyring>>();

export function otpKeyring(env: Pick<Env, "OTP_PEPPER">): Promise<OtpKeyring> {
  const pepper = env.OTP_PEPPER;
  if (!pepper) {
    throw new ApiError("MISCONFIGURED", "One-time codes need OTP_PEPPER; see the README, Verification codes.");
  }
  let keyring = keyrings.get(pepper);
  if (!keyring) {
    keyring = build(pepper);
    keyrings.set(pepper, keyring);
  }
  return keyring;
}
