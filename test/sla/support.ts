// Shared by the SLA suites: an organization with an SLA queue, a Meta channel on it, people in
// every role, the events webhook and Slack on the loopback fakes, and a way to let time pass.
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { expect, inject } from "vitest";
import { contacts, notifications, outbox, slaEvents, tickets } from "@/db/schema";
import { withDb } from "../support/db";
import { createMember, createTenant, type Member, type Tenant, unique } from "../support/fixtures";
import { call, runScheduled } from "../support/http";
import { metaMessagePayload, postMeta } from "../support/meta";
import { createChannel, fakeRequests } from "../support/provider";

export type Queue = {
  slaFirstResponseMinutes?: number | null;
  slaResolutionMinutes?: number | null;
  slaNextResponseMinutes?: number | null;
  slaWarningPercent?: number;
  slaOnlyDuringBusinessHours?: boolean;
  businessHours?: unknown;
};

export type SlaOrg = Awaited<ReturnType<typeof slaOrg>>;

/**
 * A tenant (its admin), a supervisor, two agents, a queue with the given SLA, a Meta channel
 * routed to it and, unless told otherwise, the events webhook and Slack connected.
 */
export async function slaOrg(queue: Queue, options: { connect?: boolean } = {}) {
  const tenant: Tenant = await createTenant();
  const [supervisor, agent, otherAgent] = await Promise.all([
    createMember(tenant, "supervisor", "Sara Supervisora"),
    createMember(tenant, "agent", "Alice Agente"),
    createMember(tenant, "agent", "Bruno Agente"),
  ]);
  const created = await call("/api/queues", { token: tenant.token, json: { name: unique("Suporte "), ...queue } });
  expect(created.status, created.text).toBe(201);
  const phoneNumberId = unique("pn");
  const config = { phoneNumberId, accessToken: "EAAG-test", appSecret: unique("secret"), verifyToken: "v" };
  const channel = await createChannel(tenant.token, { type: "whatsapp_meta", config, queueId: created.body.id });
  const hooks = { events: `/events/${unique("sla")}`, slack: `/slack/${unique("sla")}/services/T1/B1/x` };
  if (options.connect !== false) {
    const events = await call("/api/organization/events-webhook", {
      method: "PUT",
      token: tenant.token,
      json: { url: `${inject("fakesUrl")}${hooks.events}` },
    });
    expect(events.status, events.text).toBe(200);
    const slack = await call("/api/integrations/slack", {
      method: "PUT",
      token: tenant.token,
      json: { webhookUrl: `${inject("fakesUrl")}${hooks.slack}` },
    });
    expect(slack.status, slack.text).toBe(200);
  }
  let customers = 0;
  /** A customer's WhatsApp message (a new customer unless `from` is given); answers the ticket id. */
  const inbound = async (text: string, opts: { from?: string; at?: Date } = {}) => {
    customers += 1;
    const from = opts.from ?? `55119${String(80_000_000 + customers).padStart(8, "0")}`;
    const payload = metaMessagePayload(phoneNumberId, { type: "text", text: { body: text }, from });
    if (opts.at) {
      const message = payload.entry[0]?.changes[0]?.value.messages[0] as { timestamp: string };
      message.timestamp = String(Math.floor(opts.at.getTime() / 1000));
    }
    const res = await postMeta(channel.id, config.appSecret, payload);
    expect(res.status, res.text).toBe(200);
    const list = await call(`/api/tickets?channelId=${channel.id}&contactPhone=%2B${from}`, { token: tenant.token });
    expect(list.body.data.length, list.text).toBe(1);
    return { ticketId: list.body.data[0].id as string, from };
  };
  const reply = async (ticketId: string, text = "Olá! Já vou ver.") => {
    const res = await call(`/api/tickets/${ticketId}/messages`, { token: tenant.token, json: { type: "text", text } });
    expect(res.status, res.text).toBe(202);
  };
  return {
    tenant,
    supervisor,
    agent,
    otherAgent,
    queueId: created.body.id as string,
    queueName: created.body.name as string,
    channel,
    hooks,
    inbound,
    reply,
  };
}

/** Assigns the ticket to a member (as the admin). */
export async function assign(org: { tenant: Tenant }, ticketId: string, member: Member) {
  const res = await call(`/api/tickets/${ticketId}/assign`, {
    token: org.tenant.token,
    json: { assigneeId: member.userId },
  });
  expect(res.status, res.text).toBe(200);
}

// Every instant a ticket's SLA is judged by (and when it was made), moved together.
const TICKET_TIMES = [
  "created_at",
  "first_response_at",
  "first_response_warn_at",
  "first_response_due_at",
  "resolution_warn_at",
  "resolution_due_at",
  "resolved_at",
  "closed_at",
  "waiting_since",
  "answered_at",
  "next_response_from",
  "next_response_warn_at",
  "next_response_due_at",
  "sla_check_at",
  "last_message_at",
  "last_inbound_at",
] as const;

/** Lets `seconds` pass for these tickets: every instant of theirs moves that far into the past. */
export const travel = (ticketIds: string[], seconds: number) =>
  withDb((db) =>
    db.execute(sql`
      update ${tickets} set ${sql.raw(
        TICKET_TIMES.map((c) => `${c} = ${c} - make_interval(secs => ${Number(seconds)})`).join(", "),
      )}
      where ${inArray(tickets.id, ticketIds)}`),
  );

/** A ticket written straight into the database in exactly the state given, with a contact of its own. */
export const seedTicket = (organizationId: string, values: Partial<typeof tickets.$inferInsert>) =>
  withDb(async (db) => {
    const [contact] = await db.insert(contacts).values({ organizationId, name: "Cliente" }).returning();
    const [row] = await db
      .insert(tickets)
      .values({
        organizationId,
        contactId: contact?.id as string,
        number: sql`next_ticket_number(${organizationId})`,
        ...values,
      })
      .returning();
    if (!row) throw new Error("ticket insert returned nothing");
    return row;
  });

/** The alerts taken for an organization, oldest first, as "kind:level:cycle" with their ticket. */
export const alertsOf = (organizationId: string) =>
  withDb((db) =>
    db
      .select({ ticketId: slaEvents.ticketId, kind: slaEvents.kind, level: slaEvents.level, cycle: slaEvents.cycle })
      .from(slaEvents)
      .where(eq(slaEvents.organizationId, organizationId))
      .orderBy(asc(slaEvents.id)),
  ).then((rows) => rows.map((r) => ({ ticketId: r.ticketId, alert: `${r.kind}:${r.level}:${r.cycle}` })));

export const notificationsOf = (userId: string) =>
  withDb((db) =>
    db.select().from(notifications).where(eq(notifications.userId, userId)).orderBy(asc(notifications.id)),
  );

export const jobsOf = (organizationId: string, name: string) =>
  withDb((db) =>
    db
      .select()
      .from(outbox)
      .where(and(eq(outbox.organizationId, organizationId), eq(outbox.name, name)))
      .orderBy(asc(outbox.id)),
  );

/** The SLA events the events webhook received (it gets message and ticket events too), parsed. */
export const eventsAt = async (path: string) =>
  (await fakeRequests(path))
    .map((r) => JSON.parse(r.body) as { id: string; type: string; data: Record<string, unknown> })
    .filter((e) => e.type.startsWith("sla."));

/** What Slack received: the texts. */
export const slackTexts = async (path: string) =>
  (await fakeRequests(path)).map((r) => (JSON.parse(r.body) as { text: string }).text);

export const ticketOf = (org: { tenant: Tenant }, ticketId: string) =>
  call(`/api/tickets/${ticketId}`, { token: org.tenant.token }).then((res) => {
    expect(res.status, res.text).toBe(200);
    return res.body;
  });

export { runScheduled };
