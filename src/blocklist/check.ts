import { type AnyColumn, and, eq, type SQL } from "drizzle-orm";
import { blockedNumbers } from "@/db/schema";
import type { Executor } from "@/platform/db";
import { senderPhone } from "@/platform/phone";

/**
 * Whether an organization blocks a number: the one rule for inbound calls (<Reject>), outbound
 * calls and outbound messages. The number is compared in E.164, so every way of writing it (with
 * or without +55, a Brazilian mobile with or without its ninth digit) meets the same entry.
 */
export async function isBlocked(db: Executor, organizationId: string, phone: string): Promise<boolean> {
  const e164 = senderPhone(phone)?.phone;
  if (!e164) return false;
  const [row] = await db
    .select({ id: blockedNumbers.id })
    .from(blockedNumbers)
    .where(and(eq(blockedNumbers.organizationId, organizationId), eq(blockedNumbers.phone, e164)))
    .limit(1);
  return row !== undefined;
}

/**
 * isBlocked as a join condition, for a query that already reads the number as stored (a contact's
 * phone: E.164, or "+" and digits, as isBlocked compares it): left join blockedNumbers on it and
 * the check costs no round trip. The unique (organization, phone) index makes it one row at most.
 */
export function blockedOn(organizationId: AnyColumn, phone: AnyColumn): SQL | undefined {
  return and(eq(blockedNumbers.organizationId, organizationId), eq(blockedNumbers.phone, phone));
}
