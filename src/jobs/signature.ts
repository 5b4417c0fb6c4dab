import { hmacSha256Hex, timingSafeEqual } from "@/platform/crypto";

/** Local deliveries (no QStash) are signed like webhooks: HMAC of timestamp, path and body. */
export const LOCAL_SIGNATURE_HEADER = "x-switchboard-signature";
const TOLERANCE_S = 300;

export async function signLocalDelivery(key: string, path: string, body: string, now = Date.now()): Promise<string> {
  const t = Math.floor(now / 1000);
  return `t=${t},v1=${await hmacSha256Hex(key, `${t}.${path}.${body}`)}`;
}

export async function verifyLocalDelivery(key: string, header: string, path: string, body: string, now = Date.now()) {
  const parts = Object.fromEntries(header.split(",").map((p) => p.split("=", 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(now / 1000 - t) > TOLERANCE_S || !parts.v1) return false;
  return timingSafeEqual(parts.v1, await hmacSha256Hex(key, `${t}.${path}.${body}`));
}
