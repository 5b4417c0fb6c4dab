import { and, desc, eq } from "drizzle-orm";
import { assignJob } from "@/assignment/enqueue";
import { calls, tickets } from "@/db/schema";
import type { NewJob } from "@/jobs/outbox";
import { eventJob } from "@/notify/job";
import type { Executor, Transaction } from "@/platform/db";
import { ticketIsActive } from "@/tickets/active";
import { createTicket } from "@/tickets/create";
import { recordHistory, systemActor } from "@/tickets/history";
import type { TicketRow } from "@/tickets/schemas";
import { type CallRow, recordCallEvent } from "./calls";

/** Why a person has to call a contact back. */
export type CallbackOutcome =
  | { kind: "missed"; reason: string; waitSeconds?: number | null }
  | { kind: "voicemail"; recordingUrl: string; recordingSid: string; durationSeconds?: number | null };

/** The contact's active ticket on any channel, the most recently touched one first. */
export async function activeTicketOf(
  tx: Executor,
  organizationId: string,
  contactId: string,
  lock = false,
): Promise<TicketRow | undefined> {
  const query = tx
    .select()
    .from(tickets)
    .where(and(eq(tickets.organizationId, organizationId), eq(tickets.contactId, contactId), ticketIsActive))
    .orderBy(desc(tickets.updatedAt), desc(tickets.id))
    .limit(1);
  const [found] = lock ? await query.for("update") : await query;
  return found;
}

/**
 * A missed call or a voicemail puts the contact on a person's list, once per call and outcome (a
 * redelivered or reordered callback finds its outcome recorded and does nothing): the contact's
 * active ticket on any channel is reused (back to open if it was pending), else one is opened on
 * the call's channel and assigned. The ticket's history says what happened; the call points at
 * the ticket; the organization's events webhook hears call.missed or call.voicemail.
 */
export async function callbackTicket(
  tx: Transaction,
  input: {
    call: CallRow;
    channel: { id: string; queueId: string | null };
    subject: string;
    notify: boolean;
    outcome: CallbackOutcome;
  },
): Promise<{ claimed: boolean; jobs: NewJob[] }> {
  const { call, outcome } = input;
  const { organizationId } = call;
  const first = await recordCallEvent(tx, {
    organizationId,
    callId: call.id,
    kind: `outcome.${outcome.kind}`,
    key: `outcome:${outcome.kind}`,
    payload: outcome,
  });
  if (!first) return { claimed: false, jobs: [] };
  const jobs: NewJob[] = [];
  const refs = { callId: call.id, contactId: call.contactId, channelId: input.channel.id };
  let ticket: TicketRow | undefined;
  let created = false;
  if (call.contactId) {
    ticket = await activeTicketOf(tx, organizationId, call.contactId, true);
    if (!ticket) {
      ticket = await createTicket(tx, {
        organizationId,
        contactId: call.contactId,
        channelId: input.channel.id,
        queueId: input.channel.queueId,
        subject: input.subject,
        actor: systemActor,
        at: new Date(),
      });
      created = ticket !== undefined;
      // A concurrent callback of the same contact opened it first.
      ticket ??= await activeTicketOf(tx, organizationId, call.contactId, true);
    }
  }
  if (ticket) {
    if (ticket.status === "pending") {
      await tx.update(tickets).set({ status: "open" }).where(eq(tickets.id, ticket.id));
      await recordHistory(tx, {
        organizationId,
        ticketId: ticket.id,
        actor: systemActor,
        action: "status_changed",
        changes: { status: { before: "pending", after: "open" } },
      });
    }
    const changes: Record<string, { before: unknown; after: unknown }> = { callId: { before: null, after: call.id } };
    for (const [field, value] of Object.entries(outcome)) {
      if (field !== "kind" && value !== undefined && value !== null) changes[field] = { before: null, after: value };
    }
    await recordHistory(tx, {
      organizationId,
      ticketId: ticket.id,
      actor: systemActor,
      action: outcome.kind === "missed" ? "call_missed" : "voicemail_received",
      changes,
    });
    await tx.update(calls).set({ ticketId: ticket.id, updatedAt: new Date() }).where(eq(calls.id, call.id));
    await tx.update(tickets).set({ updatedAt: new Date() }).where(eq(tickets.id, ticket.id));
    if (created && !ticket.assigneeId) jobs.push(assignJob(organizationId, ticket.id));
    if (created && input.notify) {
      jobs.push(eventJob(organizationId, "ticket.created", { ...refs, ticketId: ticket.id }, ticket.id));
    }
  }
  if (input.notify) {
    const { kind, ...details } = outcome;
    jobs.push(
      eventJob(
        organizationId,
        kind === "missed" ? "call.missed" : "call.voicemail",
        { ...refs, ticketId: ticket?.id ?? null, from: call.fromNumber, ...details },
        call.id,
      ),
    );
  }
  return { claimed: true, jobs };
}
