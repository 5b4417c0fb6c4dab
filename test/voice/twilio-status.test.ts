// Status callbacks of callers' calls: forward only, each stored once, in any order; the end of a
// call nobody answered is a missed call; the organization's events webhook hears about it.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { contacts } from "@/db/schema";
import { withDb } from "../support/db";
import { eventsWebhookOnFake, fakeRequests } from "../support/provider";
import {
  eventsOf,
  incomingCall,
  type Line,
  sidOf,
  statusCallback,
  storedCall,
  ticketsWithHistory,
  voiceCounts,
  voiceLine,
} from "../support/twilio-voice";

async function answeredCall(line: Line) {
  const params = incomingCall(line.account);
  await line.post("voice", params);
  const callSid = params.CallSid as string;
  const callId = (await storedCall(callSid))?.id as string;
  // An agent took it (their leg's answered callback), so its end is no missed call.
  await line.post("voice-status", statusCallback(line.account, sidOf("CA"), "in-progress", 2), {
    query: { leg: "agent", call: callId },
  });
  return { callSid, callId };
}

describe("Twilio Voice: call status callbacks", () => {
  const steps = [
    ["ringing", 0],
    ["in-progress", 1],
    ["completed", 2],
  ] as const;

  it("moves the call's status only forward and stores each callback once, in any order", async () => {
    const orders = [steps, [...steps].reverse(), [...steps, ...steps], [steps[2], steps[0], steps[2], steps[1]]];
    for (const order of orders) {
      const line = await voiceLine({ record: false });
      const { callSid, callId } = await answeredCall(line);
      for (const [status, sequence] of order) {
        const res = await line.post("voice-status", statusCallback(line.account, callSid, status, sequence));
        expect(res.status, res.text).toBe(200);
        expect(res.text).toContain("<Response/>");
      }
      const stored = await storedCall(callSid);
      expect(stored, JSON.stringify(order)).toMatchObject({ status: "completed", durationSeconds: 95 });
      expect(stored?.endedAt).toBeInstanceOf(Date);
      const kinds = (await eventsOf(callId)).map((e) => e.kind).filter((k) => k.startsWith("status."));
      expect(kinds.sort()).toEqual(["status.completed", "status.in-progress", "status.ringing"]);
      expect(await ticketsWithHistory(line.tenant.organizationId)).toEqual([]);
    }
  });

  it("creates a call it has not seen from its callback (an outbound call placed elsewhere), the callee as contact", async () => {
    const line = await voiceLine();
    const callSid = sidOf("CA");
    const outbound = { Direction: "outbound-api", From: "+551140041234", To: "+5521988887777" };
    await line.post("voice-status", statusCallback(line.account, callSid, "in-progress", 1, outbound));
    await line.post("voice-status", statusCallback(line.account, callSid, "completed", 2, outbound));
    const stored = await storedCall(callSid);
    expect(stored).toMatchObject({ direction: "outbound", status: "completed", toNumber: "+5521988887777" });
    expect(stored?.answeredAt).toBeInstanceOf(Date);
    const [contact] = await withDb((db) =>
      db
        .select()
        .from(contacts)
        .where(eq(contacts.id, stored?.contactId as string)),
    );
    expect(contact?.phone).toBe("+5521988887777");
    // An outbound call is nobody's missed call.
    expect(await ticketsWithHistory(line.tenant.organizationId)).toEqual([]);
  });

  it("acknowledges a status it does not know and stores nothing", async () => {
    const line = await voiceLine();
    const { callSid } = await answeredCall(line);
    const before = await voiceCounts(line.tenant.organizationId);
    const res = await line.post("voice-status", statusCallback(line.account, callSid, "teleported", 7));
    expect(res.status, res.text).toBe(200);
    expect(await voiceCounts(line.tenant.organizationId)).toEqual(before);
  });

  it("tells the events webhook a call ended and was missed, and that a callback ticket opened", async () => {
    const line = await voiceLine();
    const { path } = await eventsWebhookOnFake(line.tenant.token, "voice");
    const params = incomingCall(line.account);
    await line.post("voice", params);
    const callSid = params.CallSid as string;
    await line.post("voice-status", statusCallback(line.account, callSid, "completed", 3));
    await line.post("voice-status", statusCallback(line.account, callSid, "completed", 3));
    const stored = await storedCall(callSid);
    const events = (await fakeRequests(path)).map((r) => JSON.parse(r.body));
    expect(events.map((e) => e.type).sort()).toEqual(["call.ended", "call.missed", "call.started", "ticket.created"]);
    expect(events.find((e) => e.type === "call.missed")?.data).toMatchObject({
      callId: stored?.id,
      ticketId: stored?.ticketId,
      reason: "abandoned",
      from: "+5511987654321",
    });
    expect(events.find((e) => e.type === "call.ended")?.data).toMatchObject({
      status: "completed",
      durationSeconds: 95,
    });
  });
});
