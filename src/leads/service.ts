import { and, asc, desc, eq, ilike, lt, or } from "drizzle-orm";
import {
  contacts,
  type LeadStatus,
  type LeadTemperature,
  leads,
  leadTemperatureChanges,
  quotes,
  type TechnicalQuestionStatus,
  technicalQuestions,
  tickets,
} from "@/db/schema";
import { enqueue, type QueuedJob } from "@/jobs/outbox";
import type { Database, Executor } from "@/platform/db";
import { ApiError } from "@/platform/errors";
import { containing } from "@/platform/like";
import type { Principal } from "@/platform/principal";
import { changeLead, type LeadChanges, type LeadRow } from "./change";

export type LeadFilter = {
  limit: number;
  after?: string;
  temperature?: LeadTemperature;
  status?: LeadStatus;
  contactId?: string;
  q?: string;
};

/** Newest first; `q` matches part of the lead's name, company, e-mail or interest, or the contact's name. */
export async function listLeads(db: Executor, organizationId: string, filter: LeadFilter): Promise<LeadRow[]> {
  const q = filter.q ? containing(filter.q) : undefined;
  const rows = await db
    .select({ lead: leads })
    .from(leads)
    .innerJoin(contacts, eq(contacts.id, leads.contactId))
    .where(
      and(
        eq(leads.organizationId, organizationId),
        filter.temperature ? eq(leads.temperature, filter.temperature) : undefined,
        filter.status ? eq(leads.status, filter.status) : undefined,
        filter.contactId ? eq(leads.contactId, filter.contactId) : undefined,
        q
          ? or(
              ilike(leads.name, q),
              ilike(leads.company, q),
              ilike(leads.email, q),
              ilike(leads.interest, q),
              ilike(contacts.name, q),
            )
          : undefined,
        filter.after ? lt(leads.id, filter.after) : undefined,
      ),
    )
    .orderBy(desc(leads.id))
    .limit(filter.limit + 1);
  return rows.map((r) => r.lead);
}

export async function getLead(db: Executor, organizationId: string, id: string, lock = false): Promise<LeadRow> {
  const query = db
    .select()
    .from(leads)
    .where(and(eq(leads.organizationId, organizationId), eq(leads.id, id)));
  const [row] = lock ? await query.for("update") : await query;
  if (!row) throw new ApiError("NOT_FOUND", "No such lead in this organization.");
  return row;
}

export async function temperatureHistory(db: Executor, organizationId: string, leadId: string) {
  return db
    .select()
    .from(leadTemperatureChanges)
    .where(and(eq(leadTemperatureChanges.organizationId, organizationId), eq(leadTemperatureChanges.leadId, leadId)))
    .orderBy(asc(leadTemperatureChanges.id));
}

/** A person's edit: unlike the bot's merge, null erases a field. Returns the jobs to dispatch. */
export async function patchLead(
  db: Database,
  principal: Principal,
  id: string,
  changes: LeadChanges,
): Promise<{ lead: LeadRow; jobs: QueuedJob[] }> {
  return db.transaction(async (tx) => {
    const lead = await getLead(tx, principal.organizationId, id, true);
    const changed = await changeLead(tx, lead, changes, { type: principal.type, id: principal.id });
    return { lead: changed.lead, jobs: await enqueue(tx, changed.jobs) };
  });
}

export async function leadQuotes(db: Executor, organizationId: string, leadId: string) {
  await getLead(db, organizationId, leadId);
  return db
    .select()
    .from(quotes)
    .where(and(eq(quotes.organizationId, organizationId), eq(quotes.leadId, leadId)))
    .orderBy(desc(quotes.id));
}

export async function createQuote(
  db: Executor,
  organizationId: string,
  leadId: string,
  input: {
    items: { description: string; quantity: string | null; unitPrice: string | null }[];
    amount?: string;
    currency: string;
    status: (typeof quotes.$inferSelect)["status"];
    ticketId?: string;
  },
) {
  await getLead(db, organizationId, leadId);
  if (input.ticketId) {
    const [ticket] = await db
      .select({ id: tickets.id })
      .from(tickets)
      .where(and(eq(tickets.organizationId, organizationId), eq(tickets.id, input.ticketId)));
    if (!ticket) throw new ApiError("NOT_FOUND", "No such ticket in this organization.");
  }
  const quantity = input.items.length === 1 ? (input.items[0]?.quantity ?? null) : null;
  // Without an amount, the items' prices add up to one when every item has both.
  const amount =
    input.amount ??
    (input.items.every((i) => i.unitPrice && i.quantity && Number.isFinite(Number(i.quantity)))
      ? input.items.reduce((sum, i) => sum + Number(i.unitPrice) * Number(i.quantity), 0).toFixed(2)
      : null);
  const [row] = await db
    .insert(quotes)
    .values({
      organizationId,
      leadId,
      ticketId: input.ticketId ?? null,
      source: "api",
      items: input.items,
      quantity,
      amount,
      currency: input.currency,
      status: input.status,
    })
    .returning();
  if (!row) throw new Error("quote insert returned nothing");
  return row;
}

export async function listQuestions(
  db: Executor,
  organizationId: string,
  filter: { limit: number; after?: string; status: TechnicalQuestionStatus; ticketId?: string },
) {
  return db
    .select()
    .from(technicalQuestions)
    .where(
      and(
        eq(technicalQuestions.organizationId, organizationId),
        eq(technicalQuestions.status, filter.status),
        filter.ticketId ? eq(technicalQuestions.ticketId, filter.ticketId) : undefined,
        filter.after ? lt(technicalQuestions.id, filter.after) : undefined,
      ),
    )
    .orderBy(desc(technicalQuestions.id))
    .limit(filter.limit + 1);
}

/** Answers (or corrects the answer of) a question; the bot reads it on the ticket's next reply. */
export async function answerQuestion(db: Executor, principal: Principal, id: string, answer: string) {
  const [row] = await db
    .update(technicalQuestions)
    .set({
      status: "answered",
      answer,
      answeredBy: principal.type === "user" ? principal.id : null,
      answeredAt: new Date(),
      updatedAt: new Date(),
    })
    .where(and(eq(technicalQuestions.organizationId, principal.organizationId), eq(technicalQuestions.id, id)))
    .returning();
  if (!row) throw new ApiError("NOT_FOUND", "No such technical question in this organization.");
  return row;
}
