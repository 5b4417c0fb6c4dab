/** Web Crypto helpers: encodings, SHA-256, HMAC, constant-time comparison, AES-GCM at rest. */
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function fromBase64Url(value: string): Uint8Array {
  const b64 = value.replaceAll("-", "+").replaceAll("_", "/");
  const binary = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

// Every webhook signature goes through toHex: a table instead of 32 closures and a join.
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  let hex = "";
  for (const b of bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)) hex += HEX[b];
  return hex;
}

export function randomToken(bytes = 32): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

export async function sha256Hex(value: string): Promise<string> {
  return toHex(await crypto.subtle.digest("SHA-256", encoder.encode(value)));
}

// Imported keys are cached per secret for the isolate's lifetime: importKey is not free and
// the same few secrets are used on every request.
const hmacKeys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = hmacKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    hmacKeys.set(secret, key);
  }
  return key;
}

export async function hmacSha256(secret: string, data: string | Uint8Array): Promise<Uint8Array> {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  return new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret), bytes));
}

export async function hmacSha256Hex(secret: string, data: string | Uint8Array): Promise<string> {
  return toHex(await hmacSha256(secret, data));
}

/**
 * Constant-time string comparison. Both sides are hashed first so that neither the content
 * nor the length of the secret leaks through timing.
 */
export async function timingSafeEqual(a: string, b: string): Promise<boolean> {
  const [da, db] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(a)),
    crypto.subtle.digest("SHA-256", encoder.encode(b)),
  ]);
  return crypto.subtle.timingSafeEqual(da, db) && a.length === b.length;
}

const aesKeys = new Map<string, Promise<CryptoKey>>();

function aesKey(base64Key: string): Promise<CryptoKey> {
  let key = aesKeys.get(base64Key);
  if (!key) {
    const raw = Uint8Array.from(atob(base64Key), (c) => c.charCodeAt(0));
    key = crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
    aesKeys.set(base64Key, key);
  }
  return key;
}

// Key rotation (issue 11): ENCRYPTION_KEY and JWT_SECRET each hold a comma-separated list, the
// current key first. A ciphertext or token names the key that made it by a short hash, so a read
// picks its key at once and an old key keeps working until everything is re-sealed with the new.

/** The keys of a comma-separated list, current first; a single value is a list of one. */
export function keyList(value: string): string[] {
  return [...new Set(value.split(",").map((k) => k.trim()))].filter((k) => k !== "");
}

const keyIds = new Map<string, Promise<string>>();

/**
 * A key's public name: 8 hex characters of a domain-separated SHA-256. Naming a 256-bit key
 * (or a 32+ character secret) this way tells nothing usable about it.
 */
export function keyId(secret: string): Promise<string> {
  let id = keyIds.get(secret);
  if (!id) {
    id = sha256Hex(`switchboard-key-id:${secret}`).then((hex) => hex.slice(0, 8));
    keyIds.set(secret, id);
  }
  return id;
}

/** The current key of a list and its id. */
export async function currentKey(keys: string): Promise<{ kid: string; key: string }> {
  const [key] = keyList(keys);
  if (!key) throw new Error("no key configured");
  return { kid: await keyId(key), key };
}

/** The listed keys whose id is `kid` (one, barring a 32-bit collision). */
export async function keysWithId(keys: string, kid: string): Promise<string[]> {
  const list = keyList(keys);
  const ids = await Promise.all(list.map(keyId));
  return list.filter((_, i) => ids[i] === kid);
}

/** The key id a sealed value names (`v2.<kid>...`), or null for a `v1` value, which names none. */
export function sealedKeyId(sealed: string): string | null {
  const [version, kid] = sealed.split(".");
  return version === "v2" && kid ? kid : null;
}

/**
 * AES-256-GCM with a random 96-bit IV and the current key of `keys`, as `v2.<kid>.<iv>.<ct>`.
 * `context` is bound as additional data, so a ciphertext copied onto another row (another
 * channel, say) fails to decrypt.
 */
export async function encryptSecret(keys: string, plaintext: string, context = ""): Promise<string> {
  const { kid, key } = await currentKey(keys);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ciphertext = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: encoder.encode(context) },
    await aesKey(key),
    encoder.encode(plaintext),
  );
  return `v2.${kid}.${toBase64Url(iv)}.${toBase64Url(new Uint8Array(ciphertext))}`;
}

async function open(key: string, iv: string, ciphertext: string, context: string): Promise<string> {
  const plaintext = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: fromBase64Url(iv), additionalData: encoder.encode(context) },
    await aesKey(key),
    fromBase64Url(ciphertext),
  );
  return decoder.decode(plaintext);
}

/**
 * Opens `v2.<kid>.<iv>.<ct>` with the listed key it names, and the older `v1.<iv>.<ct>` (which
 * names none) with whichever listed key opens it: GCM's tag refuses every wrong one.
 */
export async function decryptSecret(keys: string, sealed: string, context = ""): Promise<string> {
  const parts = sealed.split(".");
  let candidates: string[];
  let iv: string | undefined;
  let ciphertext: string | undefined;
  if (parts[0] === "v2" && parts.length === 4) {
    candidates = await keysWithId(keys, parts[1] ?? "");
    [, , iv, ciphertext] = parts;
    if (candidates.length === 0) throw new Error(`sealed with key ${parts[1]}, which is not configured`);
  } else if (parts[0] === "v1" && parts.length === 3) {
    candidates = keyList(keys);
    [, iv, ciphertext] = parts;
  } else {
    throw new Error("unrecognized ciphertext format");
  }
  if (!iv || !ciphertext) throw new Error("unrecognized ciphertext format");
  let failure: unknown = new Error("no key configured");
  for (const key of candidates) {
    try {
      return await open(key, iv, ciphertext, context);
    } catch (error) {
      failure = error;
    }
  }
  throw failure;
}
