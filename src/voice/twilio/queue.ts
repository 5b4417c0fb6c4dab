import { eq } from "drizzle-orm";
import { calls } from "@/db/schema";
import { dispatch } from "@/jobs/dispatch";
import { enqueue, type NewJob } from "@/jobs/outbox";
import type { Transaction } from "@/platform/db";
import type { Services } from "@/platform/services";
import { type CallRow, recordCallEvent } from "../calls";
import { settleMissed } from "./outcomes";
import { callParams, dialResultParams, queueResultParams, waitParams } from "./params";
import { prompts } from "./prompts";
import { twiml, type VoiceChannel, voiceRoute } from "./request";
import { findCall, markAnswered, mergeMetadata } from "./store";
import { fallbackTwiml, hangupTwiml, type Line, waitTwiml } from "./twiml";

const lineOf = (services: Services, channel: VoiceChannel): Line => ({
  publicUrl: services.env.PUBLIC_URL,
  channelId: channel.row.id,
  config: channel.config,
});

/** POST /wait: the caller's place in the queue and the wait music, requested again after each play. */
export const handleWait = voiceRoute("twiml", waitParams, async ({ channel, params }) =>
  twiml(waitTwiml(channel.config, params.QueuePosition, params.QueueTime)),
);

/** Queue results after which the caller is still on the line with nobody to talk to. */
const bridged = new Set(["bridged", "bridging-in-process"]);

/**
 * The caller goes on to the failover number or voicemail (or is told goodbye, and the callback
 * is due at once). `failover` false once the failover number has had its chance.
 */
async function fallback(
  tx: Transaction,
  line: Line,
  channel: VoiceChannel,
  call: CallRow,
  options: { failover: boolean; first: boolean },
): Promise<{ xml: string; jobs: NewJob[] }> {
  const outOfHours = Boolean((call.metadata as { outOfHours?: boolean }).outOfHours);
  const next = fallbackTwiml(line, call.id, { greet: false, failover: options.failover, closed: outOfHours });
  if (!options.first) return { xml: next.xml, jobs: [] };
  await mergeMetadata(tx, call.id, { route: next.route });
  const jobs =
    next.route === "closed" ? await settleMissed(tx, channel, call, outOfHours ? "out_of_hours" : "no_agent") : [];
  return { xml: next.xml, jobs };
}

/**
 * POST /queue-result, the action of <Enqueue>: the caller left the queue. Bridged to an agent:
 * done. Hung up while waiting: an abandoned call, called back. Anything else (the workflow's
 * timeout, maxWaitSeconds, a full queue, an error): failover number, voicemail or goodbye.
 */
export const handleQueueResult = voiceRoute("twiml", queueResultParams, async ({ services, channel, params, log }) => {
  const { db } = services;
  const organizationId = channel.row.organizationId;
  const found = await findCall(db, organizationId, { callSid: params.CallSid });
  if (!found) {
    log.warn("queue result for an unknown call", { queueResult: params.QueueResult });
    return twiml(hangupTwiml());
  }
  const result = params.QueueResult.toLowerCase();
  const { xml, jobs } = await db.transaction(async (tx) => {
    const first = await recordCallEvent(tx, {
      organizationId,
      callId: found.id,
      kind: `queue.${result}`,
      key: `queue:${result}`,
      payload: params,
    });
    let call = found;
    if (first && params.QueueTime !== undefined) {
      const [updated] = await tx
        .update(calls)
        .set({ waitSeconds: params.QueueTime, updatedAt: new Date() })
        .where(eq(calls.id, found.id))
        .returning();
      call = updated ?? found;
    }
    if (bridged.has(result)) return { xml: hangupTwiml(), jobs: [] };
    if (result === "hangup") {
      return {
        xml: hangupTwiml(),
        jobs: first ? await enqueue(tx, await settleMissed(tx, channel, call, "abandoned")) : [],
      };
    }
    const next = await fallback(tx, lineOf(services, channel), channel, call, { failover: true, first });
    return { xml: next.xml, jobs: await enqueue(tx, next.jobs) };
  });
  if (jobs.length) services.waitUntil(dispatch(services, jobs));
  return twiml(xml);
});

/** POST /dial-result, the action of <Dial> to the failover number: answered, or on to voicemail. */
export const handleDialResult = voiceRoute("twiml", dialResultParams, async ({ services, channel, params, log }) => {
  const { db } = services;
  const organizationId = channel.row.organizationId;
  const call = await findCall(db, organizationId, { callSid: params.CallSid });
  if (!call) {
    log.warn("dial result for an unknown call", { dialCallStatus: params.DialCallStatus });
    return twiml(hangupTwiml());
  }
  const status = params.DialCallStatus.toLowerCase();
  const { xml, jobs } = await db.transaction(async (tx) => {
    const first = await recordCallEvent(tx, {
      organizationId,
      callId: call.id,
      kind: `failover.${status}`,
      key: `dial:${params.DialCallSid ?? status}`,
      payload: params,
    });
    if (status === "completed" || status === "answered") {
      if (first) {
        const talked = (params.DialCallDuration ?? 0) * 1000;
        await markAnswered(tx, call.id, { at: new Date(Date.now() - talked), by: "failover" });
      }
      return { xml: hangupTwiml(), jobs: [] };
    }
    const next = await fallback(tx, lineOf(services, channel), channel, call, { failover: false, first });
    return { xml: next.xml, jobs: await enqueue(tx, next.jobs) };
  });
  if (jobs.length) services.waitUntil(dispatch(services, jobs));
  return twiml(xml);
});

/** POST /voicemail-done, the action of <Record>: thanks and goodbye (the recording callback stores it). */
export const handleVoicemailDone = voiceRoute("twiml", callParams, async ({ channel }) =>
  twiml(hangupTwiml(prompts(channel.config.language).thanks, channel.config)),
);
