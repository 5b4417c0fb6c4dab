import { and, eq } from "drizzle-orm";
import * as z from "zod";
import { contacts, crmLinks, leads } from "@/db/schema";
import { createPipeRunDeal, type PipeRunConfig } from "@/integrations/providers/piperun";
import { integrationSettings } from "@/integrations/service";
import { defineJob } from "@/jobs/define";
import type { NewJob } from "@/jobs/outbox";
import { crmJobError } from "./crm-errors";

export const PIPERUN_DEAL_JOB = "crm.piperun.deal";

/** Once per lead, ever: the outbox's dedupe key refuses a second job, the link a second deal. */
export function pipeRunDealJob(lead: { id: string; organizationId: string }): NewJob {
  return {
    name: PIPERUN_DEAL_JOB,
    organizationId: lead.organizationId,
    payload: { organizationId: lead.organizationId, leadId: lead.id },
    dedupeKey: `${PIPERUN_DEAL_JOB}:${lead.id}`,
  };
}

function dealNotes(lead: typeof leads.$inferSelect): string {
  const lines = [
    ["Empresa", lead.company],
    ["Interesse", lead.interest],
    ["Quantidade", lead.quantity],
    ["Urgência", lead.urgency],
    ["E-mail", lead.email],
  ].filter(([, value]) => value);
  return [
    `Lead quente qualificado pelo Switchboard (score ${lead.score ?? 0}).`,
    ...lines.map(([k, v]) => `${k}: ${v}`),
  ].join("\n");
}

/**
 * Creates the PipeRun deal of a hot lead, in the configured pipeline and stage, and links it to
 * the lead the moment PipeRun answers: a redelivery after that finds the link and does nothing.
 */
export const pipeRunDealJobDefinition = defineJob({
  name: PIPERUN_DEAL_JOB,
  payload: z.object({ organizationId: z.uuid(), leadId: z.uuid() }),
  async handle({ db, env, log }, { organizationId, leadId }) {
    const where = (kind: "deal") =>
      and(
        eq(crmLinks.organizationId, organizationId),
        eq(crmLinks.provider, "piperun"),
        eq(crmLinks.kind, kind),
        eq(crmLinks.localId, leadId),
      );
    const [linked] = await db.select().from(crmLinks).where(where("deal"));
    if (linked) return { skipped: "deal exists", dealId: linked.remoteId };
    const current = await integrationSettings<PipeRunConfig>(db, env, organizationId, "piperun");
    if (!current) return { skipped: "piperun not configured" };
    const [row] = await db
      .select({ lead: leads, phone: contacts.phone, contactName: contacts.name, contactEmail: contacts.email })
      .from(leads)
      .innerJoin(contacts, eq(contacts.id, leads.contactId))
      .where(and(eq(leads.organizationId, organizationId), eq(leads.id, leadId)));
    if (!row) return { skipped: "lead gone" };
    const { lead } = row;
    const name = lead.name ?? row.contactName;
    let dealId: string;
    try {
      dealId = await createPipeRunDeal(current.settings, {
        title: `Lead - ${name ?? row.phone ?? lead.id}${lead.company ? ` (${lead.company})` : ""}`,
        name,
        phone: row.phone,
        email: lead.email ?? row.contactEmail,
        notes: dealNotes(lead),
      });
    } catch (error) {
      throw crmJobError("PipeRun", error);
    }
    await db
      .insert(crmLinks)
      .values({ organizationId, provider: "piperun", kind: "deal", localId: leadId, remoteId: dealId })
      .onConflictDoNothing();
    log.info("piperun deal created", { leadId, dealId });
    return { dealId };
  },
});
