import type { InsightTrigger } from "@/db/schema";
import type { NewJob } from "@/jobs/outbox";
import type { Executor } from "@/platform/db";
import type { Env } from "@/platform/env";
import { modelConnection } from "../model-access";
import { newestMessageId } from "./store";

/** The `ticket.insights` job over the ticket's messages up to `lastMessageId`: one per ticket and newest message. */
export function insightsJob(
  ticket: { id: string; organizationId: string },
  trigger: InsightTrigger,
  lastMessageId: string | null,
): NewJob {
  return {
    name: "ticket.insights",
    organizationId: ticket.organizationId,
    payload: { ticketId: ticket.id, trigger },
    dedupeKey: `ticket.insights:${ticket.id}:${lastMessageId ?? "empty"}`,
    maxAttempts: 4,
  };
}

/**
 * The insights job of a ticket being resolved, for the resolving transaction to enqueue; none
 * without model access (nothing is queued that could only fail) or without messages to read.
 */
export async function insightsOnResolve(
  tx: Executor,
  env: Env,
  ticket: { id: string; organizationId: string },
): Promise<NewJob[]> {
  const last = await newestMessageId(tx, ticket.id);
  if (!last || !(await modelConnection(tx, env, ticket.organizationId))) return [];
  return [insightsJob(ticket, "resolve", last)];
}
