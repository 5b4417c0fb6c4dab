// Helpers shared by the helpdesk suites (contacts, queues, templates, tags). The rows they need in
// exact states (tickets on a given channel and status, messages) are written straight through the
// app's database layer, against the same database the gateway under test uses.
import { sql } from "drizzle-orm";
import { channels, messages, type TicketStatus, tickets } from "@/db/schema";
import type { Database } from "@/platform/db";
import { unique } from "./fixtures";
import { call } from "./http";

export { withDb } from "./db";
// Seeded in the database, signed in with a token the app signs (no scrypt hash per member).
export { createMember } from "./fixtures";

export async function insertChannel(db: Database, organizationId: string) {
  const [row] = await db
    .insert(channels)
    .values({ organizationId, type: "whatsapp_meta", name: unique("channel"), credentials: "x", webhookSecret: "x" })
    .returning();
  if (!row) throw new Error("channel insert returned nothing");
  return row;
}

export async function insertTicket(
  db: Database,
  values: { organizationId: string; contactId: string; channelId?: string; queueId?: string; status?: TicketStatus },
) {
  const [row] = await db
    .insert(tickets)
    .values({ ...values, number: sql`next_ticket_number(${values.organizationId})` })
    .returning();
  if (!row) throw new Error("ticket insert returned nothing");
  return row;
}

export async function insertMessage(
  db: Database,
  ticket: { id: string; organizationId: string; contactId: string; channelId: string | null },
  body: string,
) {
  const [row] = await db
    .insert(messages)
    .values({
      organizationId: ticket.organizationId,
      ticketId: ticket.id,
      channelId: ticket.channelId,
      contactId: ticket.contactId,
      direction: "inbound",
      type: "text",
      body,
      status: "received",
      senderType: "contact",
    })
    .returning();
  if (!row) throw new Error("message insert returned nothing");
  return row;
}

/** Follows nextCursor to the end, returning every id in order and the number of pages. */
export async function collectPages(path: string, token: string, limit: number) {
  const ids: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const separator = path.includes("?") ? "&" : "?";
    const res = await call(`${path}${separator}limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`, { token });
    if (res.status !== 200) throw new Error(`page failed: ${res.status} ${res.text}`);
    const page = res.body as { data: { id?: string; userId?: string }[]; nextCursor: string | null };
    if (page.data.length > limit) throw new Error(`page larger than ${limit}`);
    ids.push(...page.data.map((d) => d.id ?? d.userId ?? ""));
    cursor = page.nextCursor;
    pages += 1;
  } while (cursor);
  return { ids, pages };
}
