import type { QueuedJob } from "@/jobs/outbox";
import { mergeLeadOutput } from "@/leads/merge";
import type { Executor } from "@/platform/db";
import type { LeadOutput } from "./reply/output";

/**
 * What a ticket's replies have learned of the lead so far, with the model's latest `lead` folded
 * in: a known field is never erased by a null. `progressed` says whether anything was learned,
 * which tells a qualifying conversation from a loop.
 */
export function foldLead(
  known: Record<string, unknown>,
  lead: LeadOutput | null | undefined,
): { lead: Record<string, unknown>; progressed: boolean } {
  const next = { ...known };
  let progressed = false;
  for (const [field, value] of Object.entries(lead ?? {})) {
    if (value === null || value === undefined || value === "") continue;
    if (JSON.stringify(next[field]) !== JSON.stringify(value)) {
      next[field] = value;
      progressed = true;
    }
  }
  return { lead: next, progressed };
}

/**
 * The lead-merging hook of the reply loop, called in the reply's transaction with each reply's
 * `lead` output: the contact's lead, temperature history, technical questions, quotes, `lead.hot`
 * events and CRM syncs (src/leads/merge.ts). Returns the jobs to dispatch after the commit.
 */
export async function mergeLead(
  tx: Executor,
  input: { organizationId: string; contactId: string; ticketId: string; agentId?: string; lead: LeadOutput },
): Promise<QueuedJob[]> {
  return mergeLeadOutput(tx, input);
}
