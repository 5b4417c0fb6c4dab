import { sql } from "drizzle-orm";
import type { LeadOutput } from "@/ai/reply/output";
import { quotes, technicalQuestions } from "@/db/schema";
import { enqueue, type NewJob, type QueuedJob } from "@/jobs/outbox";
import type { Executor } from "@/platform/db";
import { cleanText } from "@/platform/text";
import { changeLead, type LeadChanges, leadFields, lockLead } from "./change";

const MAX_FIELD = 500;
const MAX_QUESTION = 2000;

/** Model text as stored: cleaned for SQL, trimmed, bounded; empty means "not said". */
function said(value: string | null | undefined, max = MAX_FIELD): string | null {
  if (typeof value !== "string") return null;
  const text = cleanText(value).trim().slice(0, max);
  return text || null;
}

/** The same question asked again on a ticket (other case, spacing, a final "?") is kept once. */
export function questionKey(question: string): string {
  return question
    .toLowerCase()
    .replace(/\s+/g, " ")
    .replace(/[\s?!.]+$/u, "")
    .trim();
}

/**
 * Folds one reply's `lead` output into the contact's lead, in the reply's transaction: a known
 * field is never erased by a null or an empty string (only a person's PATCH erases); a temperature
 * change is recorded; a technical question opens one (per ticket and question); and when the lead
 * carries both an interest and a quantity the ticket's draft quote is written (one per ticket,
 * kept up to date while it is a draft). Returns the jobs it enqueued, for dispatch after commit.
 */
export async function mergeLeadOutput(
  tx: Executor,
  input: { organizationId: string; contactId: string; ticketId: string; agentId?: string; lead: LeadOutput },
): Promise<QueuedJob[]> {
  const { organizationId, contactId, ticketId, lead: output } = input;
  const lead = await lockLead(tx, organizationId, contactId, { ticketId, source: "ai" });
  const changes: LeadChanges = {};
  for (const field of leadFields) {
    const value = said(output[field]);
    if (value !== null && value !== lead[field]) changes[field] = value;
  }
  if (output.temperature && output.temperature !== lead.temperature) changes.temperature = output.temperature;
  const changed = await changeLead(tx, lead, changes, { type: "ai", id: input.agentId, ticketId });
  const jobs: NewJob[] = [...changed.jobs];

  const question = said(output.technicalQuestion, MAX_QUESTION);
  if (question) {
    await tx
      .insert(technicalQuestions)
      .values({ organizationId, leadId: lead.id, ticketId, contactId, question, questionKey: questionKey(question) })
      .onConflictDoNothing({ target: [technicalQuestions.ticketId, technicalQuestions.questionKey] });
  }

  const { interest, quantity } = changed.lead;
  if (interest && quantity) {
    const items = [{ description: interest, quantity, unitPrice: null }];
    await tx
      .insert(quotes)
      .values({ organizationId, leadId: lead.id, ticketId, source: "ai", items, quantity })
      .onConflictDoUpdate({
        target: [quotes.leadId, quotes.ticketId],
        targetWhere: sql`${quotes.source} = 'ai'`,
        set: { items, quantity, updatedAt: new Date() },
        setWhere: sql`${quotes.status} = 'draft'`,
      });
  }
  return enqueue(tx, jobs);
}
