import { hmacSha256Hex, timingSafeEqual } from "@/platform/crypto";

// `t=<unix seconds>,<scheme>=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`: ElevenLabs' post-call
// signature (scheme v0) and the one Switchboard asks of custom inbound webhooks (v1). The
// timestamp inside the MAC is what makes an old, captured request useless after the tolerance.

const MAX_SIGNATURES = 5;

/**
 * Whether `header` carries a valid signature of `body` made within `toleranceSeconds` of `now`.
 * Several signatures of the scheme may be listed (a sender rotating its secret); one is enough.
 * Every comparison is constant-time; garbage answers false, never throws.
 */
export async function verifyTimestampedHmac(
  secret: string,
  header: string | null | undefined,
  body: string,
  options: { scheme: string; toleranceSeconds: number; now: Date },
): Promise<boolean> {
  if (!header || !secret) return false;
  let t: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(",")) {
    const at = part.indexOf("=");
    if (at < 0) continue;
    const name = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (name === "t") t = /^\d{1,12}$/.test(value) ? Number(value) : undefined;
    else if (name === options.scheme && signatures.length < MAX_SIGNATURES) signatures.push(value.toLowerCase());
  }
  if (t === undefined || signatures.length === 0) return false;
  if (Math.abs(options.now.getTime() / 1000 - t) > options.toleranceSeconds) return false;
  const expected = await hmacSha256Hex(secret, `${t}.${body}`);
  const matches = await Promise.all(signatures.map((signature) => timingSafeEqual(signature, expected)));
  return matches.includes(true);
}
