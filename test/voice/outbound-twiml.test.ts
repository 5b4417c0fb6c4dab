// The TwiML of an answered outbound call (/webhooks/twilio/{channelId}/outbound?callId=…), parsed
// as XML and checked verb by verb; Twilio's signature first, stored once, malformed refused.
import { eq } from "drizzle-orm";
import { XMLParser } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { callEvents } from "@/db/schema";
import {
  answeredParams,
  brMobile,
  callRow,
  callSid,
  placeCall,
  postOutboundTwiml,
  twilioVoiceChannel,
} from "../support/calls";
import { withDb } from "../support/db";
import { qstashEnv } from "../support/env";
import { createMember, createTenant } from "../support/fixtures";
import { PUBLIC_URL, twilioSignature } from "../support/twilio";

type Verb = { verb: string; attrs: Record<string, string>; text?: string; children: Verb[] };

/** TwiML as the list of verbs under <Response>, in order. */
function verbs(xml: string): Verb[] {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", preserveOrder: true });
  type Node = Record<string, unknown> & { ":@"?: Record<string, string> };
  const toVerb = (node: Node): Verb | null => {
    const verb = Object.keys(node).find((k) => k !== ":@");
    if (!verb || verb === "#text") return null;
    const inner = node[verb] as Node[];
    const text = inner.find((n) => "#text" in n)?.["#text"];
    return {
      verb,
      attrs: node[":@"] ?? {},
      ...(text === undefined ? {} : { text: String(text) }),
      children: inner.map(toVerb).filter((v): v is Verb => v !== null),
    };
  };
  const doc = parser.parse(xml) as Node[];
  const response = doc.map(toVerb).find((v) => v?.verb === "Response");
  if (!response) throw new Error(`no <Response> in ${xml}`);
  return response.children;
}

async function eventsOf(callId: string) {
  return withDb((db) => db.select().from(callEvents).where(eq(callEvents.callId, callId)));
}

/** A placed Twilio call (its job ran against the fake) and the CallSid Twilio gave it. */
async function placed(options: { workflowSid?: string; greeting?: string; agent?: boolean; record?: boolean } = {}) {
  const tenant = await createTenant();
  const voice = await twilioVoiceChannel(tenant.token, {
    workflowSid: options.workflowSid,
    greeting: options.greeting,
  });
  const agent = options.agent ? await createMember(tenant, "agent") : undefined;
  const res = await placeCall(tenant.token, {
    channelId: voice.channel.id,
    to: brMobile(),
    record: options.record ?? false,
    ...(agent ? { agentId: agent.userId } : {}),
  });
  if (res.status !== 202) throw new Error(`place failed: ${res.status} ${res.text}`);
  const row = await callRow(res.body.id);
  return { tenant, ...voice, agent, callId: res.body.id as string, sid: row?.call.providerCallId ?? "", row };
}

describe("POST /webhooks/twilio/{channelId}/outbound", () => {
  it("says the recording disclaimer, then connects the callee to the agent's Twilio Client identity", async () => {
    const p = await placed({ agent: true, record: true, greeting: "Esta ligação pode ser gravada." });
    const res = await postOutboundTwiml(
      p.channel.id,
      p.callId,
      p.config.authToken,
      answeredParams(p.config.accountSid, p.sid),
    );
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/xml");
    const [say, dial, ...rest] = verbs(res.text);
    expect(rest).toEqual([]);
    expect(say).toMatchObject({ verb: "Say", attrs: { language: "pt-BR" }, text: "Esta ligação pode ser gravada." });
    expect(dial).toMatchObject({ verb: "Dial", attrs: { callerId: p.row?.call.callerId, answerOnBridge: "true" } });
    const [client] = dial?.children ?? [];
    expect(client?.verb).toBe("Client");
    expect(client?.children).toEqual([
      { verb: "Identity", attrs: {}, text: p.agent?.userId, children: [] },
      { verb: "Parameter", attrs: { name: "callId", value: p.callId }, children: [] },
      { verb: "Parameter", attrs: { name: "contactId", value: p.row?.call.contactId }, children: [] },
    ]);
    const after = await callRow(p.callId);
    expect(after?.call).toMatchObject({ status: "in-progress", answeredAt: expect.any(Date), providerCallId: p.sid });
    expect((await eventsOf(p.callId)).map((e) => e.kind)).toEqual(["twiml.outbound"]);
  });

  it("puts the callee into the channel's TaskRouter workflow when no agent was named", async () => {
    const workflowSid = `WW${"a".repeat(32)}`;
    const p = await placed({ workflowSid });
    const res = await postOutboundTwiml(
      p.channel.id,
      p.callId,
      p.config.authToken,
      answeredParams(p.config.accountSid, p.sid),
    );
    const [enqueue, ...rest] = verbs(res.text);
    expect(rest).toEqual([]);
    expect(enqueue).toMatchObject({ verb: "Enqueue", attrs: { workflowSid } });
    const task = enqueue?.children[0];
    expect(task?.verb).toBe("Task");
    expect(JSON.parse(task?.text ?? "{}")).toMatchObject({
      type: "outbound",
      callId: p.callId,
      contactId: p.row?.call.contactId,
      language: "pt-BR",
    });
  });

  it("says a short message and hangs up without an agent or a workflow", async () => {
    const p = await placed();
    const res = await postOutboundTwiml(
      p.channel.id,
      p.callId,
      p.config.authToken,
      answeredParams(p.config.accountSid, p.sid),
    );
    const list = verbs(res.text);
    expect(list.map((v) => v.verb)).toEqual(["Say", "Hangup"]);
    expect(list[0]?.text).toContain("central de atendimento");
  });

  it("hangs up on an answering machine and does not count the call as answered", async () => {
    const p = await placed({ agent: true });
    const res = await postOutboundTwiml(
      p.channel.id,
      p.callId,
      p.config.authToken,
      answeredParams(p.config.accountSid, p.sid, { AnsweredBy: "machine_start" }),
    );
    expect(verbs(res.text).map((v) => v.verb)).toEqual(["Hangup"]);
    const after = await callRow(p.callId);
    expect(after?.call).toMatchObject({
      status: "queued",
      answeredAt: null,
      metadata: { machineDetection: "machine_start" },
    });
  });

  it("links the CallSid when Twilio asks before the job stored it", async () => {
    const tenant = await createTenant();
    const voice = await twilioVoiceChannel(tenant.token);
    const res = await placeCall(tenant.token, { channelId: voice.channel.id, to: brMobile() }, { env: qstashEnv() });
    const sid = callSid();
    const twiml = await postOutboundTwiml(
      voice.channel.id,
      res.body.id,
      voice.config.authToken,
      answeredParams(voice.config.accountSid, sid),
    );
    expect(twiml.status, twiml.text).toBe(200);
    expect((await callRow(res.body.id))?.call).toMatchObject({ providerCallId: sid, status: "in-progress" });
  });

  it("stores a redelivered request once and answers the same TwiML", async () => {
    const p = await placed();
    const params = answeredParams(p.config.accountSid, p.sid);
    const first = await postOutboundTwiml(p.channel.id, p.callId, p.config.authToken, params);
    const again = await postOutboundTwiml(p.channel.id, p.callId, p.config.authToken, params);
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(again.text).toBe(first.text);
    expect(await eventsOf(p.callId)).toHaveLength(1);
  });

  it("refuses a bad, missing or other URL's signature with 401 and stores nothing", async () => {
    const tenant = await createTenant();
    const voice = await twilioVoiceChannel(tenant.token);
    const res = await placeCall(tenant.token, { channelId: voice.channel.id, to: brMobile() }, { env: qstashEnv() });
    const params = answeredParams(voice.config.accountSid, callSid());
    const signatures = [
      await twilioSignature(
        "not-the-token",
        `${PUBLIC_URL}/webhooks/twilio/${voice.channel.id}/outbound?callId=${res.body.id}`,
        params,
      ),
      null,
      // Signed for the URL without its query: the callId must be covered.
      await twilioSignature(
        voice.config.authToken,
        `${PUBLIC_URL}/webhooks/twilio/${voice.channel.id}/outbound`,
        params,
      ),
    ];
    for (const signature of signatures) {
      const refused = await postOutboundTwiml(voice.channel.id, res.body.id, voice.config.authToken, params, {
        signature,
      });
      expect(refused.status, refused.text).toBe(401);
      expect(refused.headers.get("content-type")).toBe("application/problem+json");
    }
    expect(await eventsOf(res.body.id)).toHaveLength(0);
    expect((await callRow(res.body.id))?.call).toMatchObject({
      providerCallId: `pending:${res.body.id}`,
      status: "queued",
    });
  });

  it("answers a malformed body with 400 and an unknown channel with 404, and hangs up on a call this channel did not place, storing nothing", async () => {
    const p = await placed();
    const malformed = await postOutboundTwiml(p.channel.id, p.callId, p.config.authToken, {
      AccountSid: p.config.accountSid,
      CallStatus: "in-progress",
    });
    expect(malformed.status, malformed.text).toBe(400);
    expect(malformed.body).toMatchObject({ code: "BAD_REQUEST", detail: expect.stringContaining("CallSid") });
    const params = answeredParams(p.config.accountSid, p.sid);
    const noChannel = await postOutboundTwiml(crypto.randomUUID(), p.callId, p.config.authToken, params);
    expect(noChannel.status, noChannel.text).toBe(404);
    // An error status would make Twilio read "an application error" to the callee: hang up instead.
    const other = await twilioVoiceChannel(p.tenant.token);
    for (const [channel, callId, token] of [
      [p.channel.id, crypto.randomUUID(), p.config.authToken],
      [p.channel.id, "not-a-call", p.config.authToken],
      // The call exists, but was not placed on this channel.
      [other.channel.id, p.callId, other.config.authToken],
    ] as const) {
      const res = await postOutboundTwiml(channel, callId, token, params);
      expect(res.status, res.text).toBe(200);
      expect(verbs(res.text).map((v) => v.verb)).toEqual(["Hangup"]);
    }
    expect(await eventsOf(p.callId)).toHaveLength(0);
    expect((await callRow(p.callId))?.call.status).toBe("queued");
  });
});
