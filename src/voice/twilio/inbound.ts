import { isBlocked } from "@/blocklist/check";
import { isOpen } from "@/business-hours/open";
import { dispatch } from "@/jobs/dispatch";
import { enqueue, type NewJob } from "@/jobs/outbox";
import { eventJob } from "@/notify/job";
import { activeTicketOf } from "../callback-ticket";
import { callerContact, recordCallEvent, upsertCall } from "../calls";
import { type Route, settleMissed } from "./outcomes";
import { voiceParams } from "./params";
import { twiml, voiceRoute } from "./request";
import { callStatusOf } from "./store";
import { enqueueTwiml, fallbackTwiml, type Line, rejectTwiml } from "./twiml";

/** Where a caller goes when no agent can take the call: failover number, voicemail, or a goodbye. */
export function fallbackRoute(line: Line): Exclude<Route, "queue" | "rejected"> {
  return line.config.failoverNumber ? "failover" : line.config.voicemail ? "voicemail" : "closed";
}

/**
 * POST /voice: an incoming call. The call, its contact and call.started are stored first (one
 * transaction), then the TwiML: <Reject> for a blocked number; else the greeting and, within
 * business hours, <Enqueue> into the TaskRouter workflow with the task's attributes; outside
 * them (or without a workflow) the failover number, voicemail, or a goodbye, in that order.
 * Twilio retries a voice URL that did not answer in time: the same call is found and the same
 * TwiML given.
 */
export const handleVoice = voiceRoute("twiml", voiceParams, async ({ services, channel, params }) => {
  const { db, env } = services;
  const { row, config, notify } = channel;
  const organizationId = row.organizationId;
  const line: Line = { publicUrl: env.PUBLIC_URL, channelId: row.id, config };
  const now = services.now();
  const open = isOpen(config.businessHours, now);
  const base = {
    organizationId,
    provider: "twilio",
    providerCallId: params.CallSid,
    direction: "inbound" as const,
    status: callStatusOf(params.CallStatus) ?? "ringing",
    channelId: row.id,
    fromNumber: params.From,
    toNumber: params.To,
    startedAt: now,
  };

  const { xml, jobs } = await db.transaction(async (tx) => {
    if (await isBlocked(tx, organizationId, params.From)) {
      const call = await upsertCall(tx, { ...base, disconnectionReason: "blocked", metadata: { route: "rejected" } });
      await recordCallEvent(tx, {
        organizationId,
        callId: call.id,
        kind: "call.rejected",
        key: "rejected",
        payload: params,
      });
      return { xml: rejectTwiml(), jobs: [] };
    }
    const contactId = await callerContact(tx, organizationId, params.From);
    const ticket = contactId ? await activeTicketOf(tx, organizationId, contactId) : undefined;
    const route: Route = open && config.workflowSid ? "queue" : fallbackRoute(line);
    const call = await upsertCall(tx, {
      ...base,
      contactId,
      metadata: { route, outOfHours: !open, language: config.language },
    });
    const pending: NewJob[] = [];
    const first = await recordCallEvent(tx, {
      organizationId,
      callId: call.id,
      kind: "call.started",
      key: "started",
      payload: params,
      occurredAt: now,
    });
    if (first && notify) {
      pending.push(
        eventJob(
          organizationId,
          "call.started",
          {
            callId: call.id,
            channelId: row.id,
            contactId,
            direction: "inbound",
            from: params.From,
            to: params.To,
            outOfHours: !open,
          },
          call.id,
        ),
      );
    }
    if (route === "queue") {
      const xml = enqueueTwiml(line, {
        type: "voice",
        call_id: call.id,
        contact_id: contactId,
        channel_id: row.id,
        language: config.language,
        caller: params.From,
        ticket_id: ticket?.id ?? null,
        ticket_number: ticket?.number ?? null,
      });
      return { xml, jobs: await enqueue(tx, pending) };
    }
    const fallback = fallbackTwiml(line, call.id, { greet: true, failover: true, closed: !open });
    // Nobody will answer and no message can be left: the callback is due now.
    if (fallback.route === "closed") {
      pending.push(...(await settleMissed(tx, channel, call, open ? "no_agent" : "out_of_hours")));
    }
    return { xml: fallback.xml, jobs: await enqueue(tx, pending) };
  });
  if (jobs.length) services.waitUntil(dispatch(services, jobs));
  return twiml(xml);
});
