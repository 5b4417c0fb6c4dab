import { openSecondsBetween } from "@/business-hours/clock";
import type { SlaKind, SlaLevel } from "@/db/schema";
import type { NewJob } from "@/jobs/outbox";
import { type NewNotification, type Recipient, recipientsOf } from "@/notifications/store";
import { eventJob } from "@/notify/job";
import { slackJob } from "@/notify/slack-message";
import { maskPhone } from "@/platform/logger";
import type { SlaPolicy } from "./policy";

/** A taken alert with what its messages name: the ticket, its queue, its contact. */
export type TakenAlert = {
  eventId: string;
  organizationId: string;
  ticketId: string;
  ticketNumber: number;
  queueId: string | null;
  queueName: string | null;
  assigneeId: string | null;
  contactPhone: string | null;
  kind: SlaKind;
  level: SlaLevel;
  cycle: number;
  crossedAt: Date;
  dueAt: Date;
  policy: SlaPolicy;
};

/** Where an organization's alerts go besides the in-app rows. */
export type Destinations = { eventsWebhook: boolean; slack: boolean };

const KIND_TEXT: Record<SlaKind, { en: string; pt: string }> = {
  first_response: { en: "first response", pt: "primeira resposta" },
  next_response: { en: "next response", pt: "próxima resposta" },
  resolution: { en: "resolution", pt: "resolução" },
};

/** "1 d 2 h", "2 h 5 min", "12 min", "40 s": how late, or how long until due. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h${minutes % 60 ? ` ${minutes % 60} min` : ""}`;
  return `${Math.floor(hours / 24)} d${hours % 24 ? ` ${hours % 24} h` : ""}`;
}

/**
 * How far past (breach) or before (warning) the due time `now` is: in open time when the policy
 * counts business hours (a breach on Friday evening is not "62 hours late" on Monday morning).
 */
function distance(alert: TakenAlert, now: Date): { seconds: number; businessHours: boolean } {
  const [from, to] = alert.level === "breached" ? [alert.dueAt, now] : [now, alert.dueAt];
  const { hours } = alert.policy;
  if (hours) return { seconds: openSecondsBetween(hours, from, to), businessHours: true };
  return { seconds: (to.getTime() - from.getTime()) / 1000, businessHours: false };
}

function facts(alert: TakenAlert, now: Date) {
  const { seconds, businessHours } = distance(alert, now);
  return {
    ticketId: alert.ticketId,
    ticketNumber: alert.ticketNumber,
    kind: alert.kind,
    cycle: alert.cycle,
    dueAt: alert.dueAt.toISOString(),
    crossedAt: alert.crossedAt.toISOString(),
    queueId: alert.queueId,
    assigneeId: alert.assigneeId,
    [alert.level === "breached" ? "lateSeconds" : "dueInSeconds"]: Math.round(seconds),
    businessHours,
  };
}

/** In-app rows for the assignee and the organization's supervisors and admins. */
export function alertNotifications(
  alert: TakenAlert,
  recipients: Recipient[] | undefined,
  now: Date,
): NewNotification[] {
  const kind = KIND_TEXT[alert.kind].en;
  const { seconds, businessHours } = distance(alert, now);
  const hours = businessHours ? " in business hours" : "";
  const title =
    alert.level === "breached"
      ? `SLA breached: ${kind} of ticket #${alert.ticketNumber}`
      : `SLA warning: ${kind} of ticket #${alert.ticketNumber}`;
  const when = alert.level === "breached" ? `${duration(seconds)} late${hours}` : `due in ${duration(seconds)}${hours}`;
  const body = [alert.queueName && `Queue ${alert.queueName}`, when].filter(Boolean).join(" · ");
  return recipientsOf(recipients, alert.assigneeId).map((userId) => ({
    organizationId: alert.organizationId,
    userId,
    type: `sla.${alert.level}`,
    title,
    body,
    ticketId: alert.ticketId,
    data: facts(alert, now),
    sourceKey: `sla:${alert.eventId}`,
  }));
}

/** The Slack text: the ticket, the queue, the contact masked as logs mask it, and how late. */
export function slackText(alert: TakenAlert, now: Date): string {
  const kind = KIND_TEXT[alert.kind].pt;
  const { seconds, businessHours } = distance(alert, now);
  const hours = businessHours ? " em horário comercial" : "";
  const where = [
    `ticket #${alert.ticketNumber}`,
    alert.queueName && `fila ${alert.queueName}`,
    alert.contactPhone && `contato ${maskPhone(alert.contactPhone)}`,
  ]
    .filter(Boolean)
    .join(", ");
  return alert.level === "breached"
    ? `:rotating_light: SLA estourado: ${kind}, ${where}. ${duration(seconds)} de atraso${hours}.`
    : `:warning: SLA em risco: ${kind}, ${where}. Vence em ${duration(seconds)}${hours}.`;
}

/** The alert's jobs: the events webhook and Slack (the queue's own webhook, else the organization's). */
export function alertJobs(alert: TakenAlert, to: Destinations, queueSlack: boolean, now: Date): NewJob[] {
  const jobs: NewJob[] = [];
  const key = `sla:${alert.eventId}`;
  if (to.eventsWebhook) jobs.push(eventJob(alert.organizationId, `sla.${alert.level}`, facts(alert, now), key));
  if (to.slack || queueSlack) {
    jobs.push(slackJob(alert.organizationId, key, slackText(alert, now), queueSlack ? alert.queueId : null));
  }
  return jobs;
}
