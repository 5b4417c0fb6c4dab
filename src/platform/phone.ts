import { parsePhoneNumberWithError } from "libphonenumber-js/min";

/**
 * Normalizes a phone number to E.164, or returns null when it is not one.
 *
 * WhatsApp still reports many Brazilian mobiles without the ninth digit that Anatel added in
 * 2012-2016 (55 11 8765-4321 instead of 55 11 98765-4321). Both forms must map to one contact,
 * so a Brazilian 8-digit number that starts like a mobile (6-9) gets its 9 back. Likewise WhatsApp
 * writes Mexican mobiles with the "1" that Mexico dropped in 2019 (52 1 55...): it is removed.
 */
export function normalizePhone(
  input: string,
  defaultCountry: "BR" | "US" | "MX" | "AR" | "CO" | "CL" = "BR",
): string | null {
  const key = `${defaultCountry} ${input}`;
  const known = normalized.get(key);
  if (known !== undefined) return known;
  const result = parsePhone(input, defaultCountry);
  if (normalized.size >= MEMO_ENTRIES) normalized.delete(normalized.keys().next().value as string);
  normalized.set(key, result);
  return result;
}

// Parsing is two libphonenumber passes (about 0.07 ms of a webhook's CPU in workerd's profile),
// and the same customers write again and again: the answers are kept per isolate, oldest out
// first. A pure function of its input, so nothing goes stale.
const MEMO_ENTRIES = 5_000;
const normalized = new Map<string, string | null>();

function parsePhone(input: string, defaultCountry: Parameters<typeof normalizePhone>[1]): string | null {
  const cleaned = input
    .replace(/^whatsapp:/i, "")
    .replace(/@.*$/, "")
    .trim();
  const digits = cleaned.replace(/\D/g, "");
  if (digits.length < 6 || digits.length > 15) return null;
  // Provider payloads (Meta wa_id, Z-API phone) carry the country code without a plus; people
  // type national numbers. A bare digit string is tried both ways, international first.
  const candidates = cleaned.startsWith("+") ? [cleaned] : /^\d+$/.test(cleaned) ? [`+${cleaned}`, cleaned] : [cleaned];
  for (const candidate of candidates) {
    const e164 = toE164(candidate, defaultCountry);
    if (e164) return e164;
  }
  return null;
}

function toE164(value: string, defaultCountry: Parameters<typeof parsePhoneNumberWithError>[1]): string | null {
  try {
    const parsed = parsePhoneNumberWithError(value, defaultCountry);
    let national = parsed.nationalNumber as string;
    if (parsed.countryCallingCode === "55" && national.length === 10 && /^[6-9]$/.test(national.charAt(2))) {
      national = `${national.slice(0, 2)}9${national.slice(2)}`;
    }
    if (parsed.countryCallingCode === "52" && national.length === 11 && national.startsWith("1")) {
      national = national.slice(1);
    }
    const e164 = `+${parsed.countryCallingCode}${national}`;
    return parsePhoneNumberWithError(e164).isValid() ? e164 : null;
  } catch {
    return null;
  }
}

/**
 * A sender's number as a provider reported it. Providers (Meta, Twilio) have verified the numbers
 * they write to us; libphonenumber's tables lag behind the real numbering plans, so a number they
 * call invalid is still kept, as "+" and its digits, marked unverified. Only something that
 * cannot be a phone number at all (fewer than 6 or more than 15 digits) gives null.
 */
export function senderPhone(raw: string): { phone: string; verified: boolean } | null {
  const e164 = normalizePhone(raw);
  if (e164) return { phone: e164, verified: true };
  const digits = raw.replace(/\D/g, "");
  return digits.length >= 6 && digits.length <= 15 ? { phone: `+${digits}`, verified: false } : null;
}
