import { and, eq, sql } from "drizzle-orm";
import { v7 as uuidv7 } from "uuid";
import {
  type ActorType,
  contacts,
  integrations,
  type LeadTemperature,
  leads,
  leadTemperatureChanges,
  tickets,
} from "@/db/schema";
import type { NewJob } from "@/jobs/outbox";
import { eventJob } from "@/notify/job";
import { subscribed } from "@/notify/settings";
import { slackJob } from "@/notify/slack-job";
import type { Executor } from "@/platform/db";
import { maskPhone } from "@/platform/logger";
import { pipeRunDealJob } from "./piperun-job";

export type LeadRow = typeof leads.$inferSelect;

/** The lead's own fields, as the bot learns them and people edit them. */
export const leadFields = ["name", "company", "email", "interest", "quantity", "urgency"] as const;
export type LeadField = (typeof leadFields)[number];

export type LeadChanges = Partial<Record<LeadField, string | null>> & {
  temperature?: LeadTemperature | null;
  status?: LeadRow["status"];
};

export type LeadActor = { type: ActorType; id?: string | null; ticketId?: string | null };

const baseScore: Record<LeadTemperature, number> = { cold: 10, warm: 40, hot: 70 };

/**
 * 0-100: the temperature's base (cold 10, warm 40, hot 70, unknown 0) and 5 per known field, so a
 * hot lead whose company, e-mail, interest and quantity are known sorts above one that is only hot.
 */
export function leadScore(lead: Pick<LeadRow, LeadField | "temperature">): number {
  const known = leadFields.filter((field) => lead[field]).length;
  return Math.min(100, (lead.temperature ? baseScore[lead.temperature] : 0) + 5 * known);
}

/** The one lead of a contact, created on first need and locked for the caller's transaction. */
export async function lockLead(
  tx: Executor,
  organizationId: string,
  contactId: string,
  init: { ticketId?: string | null; source?: string },
): Promise<LeadRow> {
  await tx
    .insert(leads)
    .values({ organizationId, contactId, ticketId: init.ticketId ?? null, source: init.source ?? null })
    .onConflictDoNothing({ target: [leads.organizationId, leads.contactId] });
  const [lead] = await tx
    .select()
    .from(leads)
    .where(and(eq(leads.organizationId, organizationId), eq(leads.contactId, contactId)))
    .for("update");
  if (!lead) throw new Error("lead upsert found nothing");
  return lead;
}

async function companyId(tx: Executor, organizationId: string, name: string | null): Promise<string | null> {
  if (!name) return null;
  const { rows } = await tx.execute<{ id: string }>(sql`
    insert into companies (id, organization_id, name) values (${uuidv7()}, ${organizationId}, ${name})
    on conflict (organization_id, lower(name)) do update set updated_at = now()
    returning id`);
  return rows[0]?.id ?? null;
}

async function connected(tx: Executor, organizationId: string, provider: string): Promise<boolean> {
  const [row] = await tx
    .select({ id: integrations.id })
    .from(integrations)
    .where(and(eq(integrations.organizationId, organizationId), eq(integrations.provider, provider)));
  return Boolean(row);
}

/**
 * Applies changes to a locked lead: a temperature change is recorded (who, which ticket), a
 * company name finds or makes its company row, the score follows. A lead that turns hot is
 * qualified, announced as `lead.hot` on the events webhook and, with PipeRun connected, becomes a
 * deal (once per lead). Returns the jobs for the caller to enqueue in the same transaction.
 */
export async function changeLead(
  tx: Executor,
  lead: LeadRow,
  changes: LeadChanges,
  actor: LeadActor,
): Promise<{ lead: LeadRow; jobs: NewJob[] }> {
  const next: Partial<LeadRow> = { ...changes };
  if ("company" in changes && changes.company !== lead.company) {
    next.companyId = await companyId(tx, lead.organizationId, changes.company ?? null);
  }
  const temperatureChanged = "temperature" in changes && changes.temperature !== lead.temperature;
  const turnedHot = temperatureChanged && changes.temperature === "hot";
  const now = new Date();
  if (turnedHot) {
    next.hotAt = now;
    if (lead.status === "new" && !("status" in changes)) next.status = "qualified";
  }
  if (next.status === "qualified" && lead.status !== "qualified") next.qualifiedAt = now;
  if (actor.ticketId) next.ticketId = actor.ticketId;
  next.score = leadScore({ ...lead, ...next });
  const [updated] = await tx.update(leads).set(next).where(eq(leads.id, lead.id)).returning();
  if (!updated) throw new Error("lead update returned nothing");

  const jobs: NewJob[] = [];
  if (temperatureChanged) {
    const [change] = await tx
      .insert(leadTemperatureChanges)
      .values({
        organizationId: lead.organizationId,
        leadId: lead.id,
        from: lead.temperature,
        to: changes.temperature ?? null,
        ticketId: actor.ticketId ?? null,
        actorType: actor.type,
        actorId: actor.id ?? null,
      })
      .returning({ id: leadTemperatureChanges.id });
    if (turnedHot && change) jobs.push(...(await hotLeadJobs(tx, updated, change.id, actor)));
  }
  return { lead: updated, jobs };
}

async function hotLeadJobs(tx: Executor, lead: LeadRow, changeId: string, actor: LeadActor): Promise<NewJob[]> {
  const jobs: NewJob[] = [];
  if (await subscribed(tx, lead.organizationId)) {
    const data = {
      leadId: lead.id,
      contactId: lead.contactId,
      ticketId: actor.ticketId ?? lead.ticketId,
      name: lead.name,
      company: lead.company,
      interest: lead.interest,
      quantity: lead.quantity,
      urgency: lead.urgency,
      score: lead.score,
      by: actor.type,
    };
    jobs.push(eventJob(lead.organizationId, "lead.hot", data, changeId));
  }
  if (await connected(tx, lead.organizationId, "piperun")) jobs.push(pipeRunDealJob(lead));
  if (await connected(tx, lead.organizationId, "slack")) {
    jobs.push(slackJob(lead.organizationId, `lead.hot:${changeId}`, await hotLeadText(tx, lead, actor)));
  }
  return jobs;
}

/** The Slack alert of a hot lead: who, what they want, where to find them (the phone masked). */
async function hotLeadText(tx: Executor, lead: LeadRow, actor: LeadActor): Promise<string> {
  const ticketId = actor.ticketId ?? lead.ticketId;
  const [contact] = await tx
    .select({ phone: contacts.phone, name: contacts.name })
    .from(contacts)
    .where(eq(contacts.id, lead.contactId));
  const [ticket] = ticketId
    ? await tx.select({ number: tickets.number }).from(tickets).where(eq(tickets.id, ticketId))
    : [];
  const who = lead.name ?? contact?.name ?? "Lead";
  const facts = [
    lead.interest && `interesse: ${lead.interest}`,
    lead.quantity && `quantidade: ${lead.quantity}`,
    lead.urgency && `urgência: ${lead.urgency}`,
    `score ${lead.score ?? 0}`,
  ].filter(Boolean);
  const where = [contact?.phone && `contato ${maskPhone(contact.phone)}`, ticket && `ticket #${ticket.number}`].filter(
    Boolean,
  );
  return `:fire: Lead quente: ${who}${lead.company ? ` (${lead.company})` : ""}. ${facts.join(", ")}.${where.length ? ` ${where.join(", ")}.` : ""}`;
}
