/**
 * Password hashing with scrypt (node:crypto, native inside workerd under nodejs_compat).
 *
 * OWASP's Password Storage Cheat Sheet prefers Argon2id, then scrypt. Argon2id would need a
 * WebAssembly build and Workers' PBKDF2 stops at 100k iterations (OWASP asks 600k), so scrypt
 * it is, with OWASP's equivalent-strength setting N=2^14, r=8, p=5 (16 MiB per hash, inside a
 * Worker's 128 MiB). Parameters are stored with each hash so they can be raised later;
 * `needsRehash` tells the login flow when to upgrade a stored hash.
 */
import { scrypt, timingSafeEqual } from "node:crypto";

const PARAMS = { N: 2 ** 14, r: 8, p: 5 } as const;
const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize("NFKC"), salt, KEY_LENGTH, { ...params, maxmem: 64 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = Buffer.from(crypto.getRandomValues(new Uint8Array(16)));
  const key = await derive(password, salt, PARAMS);
  return `scrypt$N=${PARAMS.N},r=${PARAMS.r},p=${PARAMS.p}$${salt.toString("base64")}$${key.toString("base64")}`;
}

function parse(stored: string) {
  const [scheme, params, salt, key] = stored.split("$");
  if (scheme !== "scrypt" || !params || !salt || !key) return null;
  const values = Object.fromEntries(params.split(",").map((kv) => kv.split("=")));
  const N = Number(values.N);
  const r = Number(values.r);
  const p = Number(values.p);
  if (![N, r, p].every((v) => Number.isInteger(v) && v > 0)) return null;
  return { params: { N, r, p }, salt: Buffer.from(salt, "base64"), key: Buffer.from(key, "base64") };
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed) return false;
  const candidate = await derive(password, parsed.salt, parsed.params);
  return candidate.length === parsed.key.length && timingSafeEqual(candidate, parsed.key);
}

export function needsRehash(stored: string): boolean {
  const parsed = parse(stored);
  return !parsed || parsed.params.N < PARAMS.N || parsed.params.r < PARAMS.r || parsed.params.p < PARAMS.p;
}

// The hash of a random password nobody knows, verified against when the e-mail is unknown, so
// a login for an unknown account costs the same as one for a known account.
export const DECOY_HASH =
  "scrypt$N=16384,r=8,p=5$3mfK3FKUwH712fR8svLaSQ==$cEaTMzK8hMqYZZel7yD2cVqLUg7uQy0LPzpAgVPtLvs=";
