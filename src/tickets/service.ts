import { and, asc, desc, eq, getTableColumns, gt, inArray, lt, type SQL, type SQLWrapper, sql } from "drizzle-orm";
import { readInsights } from "@/ai/insights/store";
import {
  contacts,
  messages,
  type TicketHistoryAction,
  type TicketStatus,
  tags,
  ticketHistory,
  tickets,
  ticketTags,
} from "@/db/schema";
import type { PiiView } from "@/pii/policy";
import { type Database, type Executor, inTurn, type Transaction } from "@/platform/db";
import { ApiError } from "@/platform/errors";
import type { Principal } from "@/platform/principal";
import { ticketSla } from "@/sla/ticket";
import { isActive } from "./active";
import { type Actor, actorOf, diff, recordHistory } from "./history";
import { presentHistory, presentMessage, presentTicket, type TicketChanges, type TicketRow } from "./schemas";
import { ticketSearch } from "./search";

export async function getTicket(db: Executor, organizationId: string, id: string, lock = false): Promise<TicketRow> {
  const query = db
    .select()
    .from(tickets)
    .where(and(eq(tickets.organizationId, organizationId), eq(tickets.id, id)));
  const [ticket] = lock ? await query.for("update") : await query;
  if (!ticket) throw new ApiError("NOT_FOUND", "No such ticket in this organization.");
  return ticket;
}

/** A ticket with its contact (phone as `pii` shows it) and tag names, read in one statement. */
export async function presentTicketOf(db: Executor, ticket: TicketRow, pii: PiiView) {
  // One row whether or not the contact is still there.
  const {
    rows: [found],
  } = await db.execute<{ phone: string | null; name: string | null; tags: string[] }>(sql`
    select ${contacts.phone} as phone, ${contacts.name} as name, ${tagNamesOf(ticket.id)} as tags
    from (select 1) as one left join ${contacts} on ${contacts.id} = ${ticket.contactId}`);
  const contact = { id: ticket.contactId, phone: found?.phone ?? null, name: found?.name ?? null };
  return presentTicket(ticket, contact, found?.tags ?? [], pii);
}

/** A ticket with its contact, its last twenty messages, its whole history and its SLA; `viewOf` says how PII shows. */
export async function ticketDetail(
  db: Executor,
  organizationId: string,
  id: string,
  viewOf: (ticket: TicketRow) => Promise<PiiView>,
) {
  const ticket = await getTicket(db, organizationId, id);
  const pii = await viewOf(ticket);
  const [presented, recent, history, insights, sla] = await inTurn(
    () => presentTicketOf(db, ticket, pii),
    () => db.select().from(messages).where(eq(messages.ticketId, ticket.id)).orderBy(desc(messages.id)).limit(20),
    () => db.select().from(ticketHistory).where(eq(ticketHistory.ticketId, ticket.id)).orderBy(ticketHistory.id),
    () => readInsights(db, organizationId, ticket.id),
    () => ticketSla(db, ticket),
  );
  return {
    ...presented,
    lastMessages: recent.reverse().map((m) => presentMessage(m, pii)),
    history: history.map(presentHistory),
    insights,
    sla,
  };
}

/** A ticket's messages, a page in either direction. */
export async function listMessages(
  db: Executor,
  ticket: Pick<TicketRow, "id">,
  page: { limit: number; after?: string; order: "asc" | "desc" },
) {
  const { after, order } = page;
  return db
    .select()
    .from(messages)
    .where(
      and(
        eq(messages.ticketId, ticket.id),
        after ? (order === "asc" ? gt(messages.id, after) : lt(messages.id, after)) : undefined,
      ),
    )
    .orderBy(order === "asc" ? asc(messages.id) : desc(messages.id))
    .limit(page.limit + 1);
}

/** A ticket's tag names, sorted, as the console shows them: a list's page and a single ticket alike. */
function tagNamesOf(ticketId: SQLWrapper | string) {
  return sql<string[]>`array(select ${tags.name} from ${ticketTags}
    join ${tags} on ${tags.id} = ${ticketTags.tagId} where ${ticketTags.ticketId} = ${ticketId} order by ${tags.name})`;
}

export type TicketFilters = {
  status?: TicketStatus[];
  queueId?: string;
  assigneeId?: string | "none";
  channelId?: string;
  tag?: string;
  contactPhone?: string;
  contactId?: string;
  q?: string;
};

export async function listTickets(
  db: Executor,
  organizationId: string,
  filters: TicketFilters,
  page: { limit: number; after?: string },
) {
  const where: (SQL | undefined)[] = [eq(tickets.organizationId, organizationId)];
  if (filters.status?.length) where.push(inArray(tickets.status, filters.status));
  if (filters.queueId) where.push(eq(tickets.queueId, filters.queueId));
  if (filters.assigneeId === "none") where.push(sql`${tickets.assigneeId} is null`);
  else if (filters.assigneeId) where.push(eq(tickets.assigneeId, filters.assigneeId));
  if (filters.channelId) where.push(eq(tickets.channelId, filters.channelId));
  if (filters.contactId) where.push(eq(tickets.contactId, filters.contactId));
  if (filters.contactPhone) {
    where.push(
      sql`${tickets.contactId} in (select ${contacts.id} from ${contacts} where ${contacts.organizationId} = ${organizationId} and ${contacts.phone} = ${filters.contactPhone})`,
    );
  }
  if (filters.tag) {
    where.push(
      sql`exists (select 1 from ${ticketTags} join ${tags} on ${tags.id} = ${ticketTags.tagId} where ${ticketTags.ticketId} = ${tickets.id} and lower(${tags.name}) = lower(${filters.tag}))`,
    );
  }
  if (page.after) where.push(lt(tickets.id, page.after));
  const scope = and(...where);
  const q = filters.q;
  // The page's contacts and tag names come in the same statement: a page is one round trip.
  const query = (executor: Executor) =>
    executor
      .select({
        ...getTableColumns(tickets),
        contactPhone: contacts.phone,
        contactName: contacts.name,
        tagNames: tagNamesOf(tickets.id),
      })
      .from(tickets)
      .leftJoin(contacts, eq(contacts.id, tickets.contactId))
      .where(
        q
          ? and(eq(tickets.organizationId, organizationId), ticketSearch(organizationId, q, scope, page.limit + 1))
          : scope,
      )
      .orderBy(desc(tickets.id))
      .limit(page.limit + 1);
  if (!q) return query(db);
  return db.transaction(async (tx) => {
    // Planner costs for memory, where Neon and any modern server keep these tables: a cached page
    // costs a tenth of the defaults (which price reads from spinning disks) and a random one about
    // what a sequential one does. With the defaults, testing ILIKE on each message of the newest
    // tickets looked cheaper than reading a rare word's matches from the trigram index, though it
    // lowercases every body it tests: bench:scale's big organization, "boleto" (one message in
    // 1,250), walked some 11,000 messages. Priced for memory, PostgreSQL sorts the index's matches
    // by ticket and walks them beside the newest tickets. For this statement only: other queries
    // keep the server's settings.
    await tx.execute(
      sql`select set_config('seq_page_cost', '0.1', true), set_config('random_page_cost', '0.11', true)`,
    );
    return query(tx);
  });
}

const TRACKED: (keyof TicketRow & string)[] = [
  "status",
  "priority",
  "subject",
  "queueId",
  "assigneeId",
  "resolvedAt",
  "closedAt",
  "firstResponseAt",
];

/** Applies changes to a locked ticket and writes the history row, in the caller's transaction. */
export async function changeTicket(
  tx: Transaction,
  ticket: TicketRow,
  changes: Partial<TicketRow>,
  actor: Actor,
  action: TicketHistoryAction,
): Promise<TicketRow> {
  const changed = diff(ticket, changes, Object.keys(changes) as (keyof TicketRow & string)[]);
  if (Object.keys(changed).length === 0) return ticket;
  const [updated] = await tx.update(tickets).set(changes).where(eq(tickets.id, ticket.id)).returning();
  if (!updated) throw new ApiError("NOT_FOUND", "No such ticket in this organization.");
  // Bookkeeping fields (unread count) change without a history row; what people did is recorded.
  const delta = diff(ticket, changes, TRACKED);
  if (Object.keys(delta).length > 0) {
    await recordHistory(tx, {
      organizationId: ticket.organizationId,
      ticketId: ticket.id,
      actor,
      action,
      changes: delta,
    });
  }
  return updated;
}

/** Changes priority, subject or tags, or moves an active ticket between open and pending. */
export async function updateTicket(db: Database, principal: Principal, id: string, input: TicketChanges) {
  const { tags: tagNames, ...changes } = input;
  const actor = actorOf(principal);
  return db.transaction(async (tx) => {
    let ticket = await getTicket(tx, principal.organizationId, id, true);
    if (changes.status && !isActive(ticket.status)) {
      throw new ApiError("CONFLICT", `A ${ticket.status} ticket is reopened with POST /api/tickets/{id}/reopen.`);
    }
    ticket = await changeTicket(tx, ticket, changes, actor, "updated");
    if (tagNames) await setTicketTags(tx, ticket, tagNames, actor);
    return ticket;
  });
}

/** Replaces a ticket's tags by name, creating tags the organization does not have yet. */
export async function setTicketTags(tx: Transaction, ticket: TicketRow, names: string[], actor: Actor) {
  // Tag names are unique per organization regardless of case: "VIP" and "vip" are one tag.
  const seen = new Set<string>();
  const wanted = names.map((n) => n.trim()).filter((n) => n && !seen.has(n.toLowerCase()) && seen.add(n.toLowerCase()));
  const before = await tx
    .select({ id: tags.id, name: tags.name })
    .from(ticketTags)
    .innerJoin(tags, eq(tags.id, ticketTags.tagId))
    .where(eq(ticketTags.ticketId, ticket.id));
  const ids: string[] = [];
  for (const name of wanted) {
    await tx.insert(tags).values({ organizationId: ticket.organizationId, name }).onConflictDoNothing();
    const [tag] = await tx
      .select({ id: tags.id })
      .from(tags)
      .where(and(eq(tags.organizationId, ticket.organizationId), sql`lower(${tags.name}) = lower(${name})`));
    if (tag) ids.push(tag.id);
  }
  await tx.delete(ticketTags).where(eq(ticketTags.ticketId, ticket.id));
  if (ids.length) {
    await tx
      .insert(ticketTags)
      .values(ids.map((tagId) => ({ ticketId: ticket.id, tagId, organizationId: ticket.organizationId })));
  }
  const beforeNames = before.map((t) => t.name).sort();
  if (JSON.stringify(beforeNames) !== JSON.stringify([...wanted].sort())) {
    await recordHistory(tx, {
      organizationId: ticket.organizationId,
      ticketId: ticket.id,
      actor,
      action: "tags_changed",
      changes: { tags: { before: beforeNames, after: [...wanted].sort() } },
    });
  }
}
