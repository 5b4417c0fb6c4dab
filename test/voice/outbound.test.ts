// Outbound calls: POST /api/calls through the gateway, the call.place job against the loopback
// Twilio Calls API and Retell fakes, caller-ID rotation (also under concurrency), idempotency,
// refusals, redeliveries that never dial twice, 429/5xx retries, the sandbox, and the provider's
// status callbacks landing on the row the API created.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { callEvents, callPlacements, calls, contacts, outbox, retellAgents } from "@/db/schema";
import { recordCallEvent, upsertCall } from "@/voice/calls";
import { nextCallerId } from "@/voice/place/caller-id";
import { linkProviderCall } from "@/voice/place/link";
import {
  brMobile,
  callRow,
  callSid,
  callsOf,
  placeCall,
  placeJobOf,
  redeliverPlaceJob,
  retellChannel,
  twilioVoiceChannel,
  usNumber,
} from "../support/calls";
import { withDb } from "../support/db";
import { qstashEnv } from "../support/env";
import { createMember, createTenant } from "../support/fixtures";
import { call, runScheduled } from "../support/http";
import { createChannel, fakeRequests, scriptFake } from "../support/provider";
import { jobsOf, makeDue } from "../support/scenario";

const form = (body: string) => new URLSearchParams(body);
const unavailable = (retryAfter = "0") => ({
  status: 503,
  body: { code: 20503, message: "Service Unavailable" },
  headers: { "retry-after": retryAfter },
});

describe("POST /api/calls on a Twilio voice channel", () => {
  it("answers 202 queued and places one call through the Calls API with the status callbacks", async () => {
    const tenant = await createTenant();
    const { channel, config, callsPrefix } = await twilioVoiceChannel(tenant.token);
    const to = brMobile();
    const res = await placeCall(tenant.apiKey, { channelId: channel.id, to, metadata: { campaign: "renovacao" } });
    expect(res.status, res.text).toBe(202);
    expect(res.body).toMatchObject({ id: expect.any(String), status: "queued", direction: "outbound", toNumber: to });

    const requests = await fakeRequests(callsPrefix);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.headers.authorization).toBe(`Basic ${btoa(`${config.accountSid}:${config.authToken}`)}`);
    const sent = form(requests[0]?.body ?? "");
    const hooks = `http://localhost:8787/webhooks/twilio/${channel.id}`;
    expect(Object.fromEntries(sent)).toMatchObject({
      To: to,
      From: config.phoneNumbers[0],
      Url: `${hooks}/outbound?callId=${res.body.id}`,
      Method: "POST",
      StatusCallback: `${hooks}/voice-status?callId=${res.body.id}`,
      StatusCallbackMethod: "POST",
    });
    expect(sent.getAll("StatusCallbackEvent")).toEqual(["initiated", "ringing", "answered", "completed"]);
    expect(sent.has("MachineDetection")).toBe(false);
    expect(sent.has("Record")).toBe(false);

    const row = await callRow(res.body.id);
    expect(row?.call).toMatchObject({
      provider: "twilio",
      providerCallId: expect.stringMatching(/^CA[0-9a-f]{32}$/),
      direction: "outbound",
      status: "queued",
      callerId: config.phoneNumbers[0],
      fromNumber: config.phoneNumbers[0],
      toNumber: to,
      metadata: { campaign: "renovacao" },
    });
    expect(row?.placement).toMatchObject({ attemptedAt: expect.any(Date), placedAt: expect.any(Date), error: null });
    const [contact] = await withDb((db) =>
      db
        .select()
        .from(contacts)
        .where(eq(contacts.id, row?.call.contactId ?? "")),
    );
    expect(contact).toMatchObject({ organizationId: tenant.organizationId, phone: to });
  });

  it("asks for machine detection and a dual-channel recording when told to", async () => {
    const tenant = await createTenant();
    const { channel, callsPrefix } = await twilioVoiceChannel(tenant.token);
    const res = await placeCall(tenant.token, {
      channelId: channel.id,
      to: brMobile(),
      record: true,
      machineDetection: true,
    });
    expect(res.status, res.text).toBe(202);
    const sent = form((await fakeRequests(callsPrefix))[0]?.body ?? "");
    expect(Object.fromEntries(sent)).toMatchObject({
      MachineDetection: "Enable",
      Record: "true",
      RecordingChannels: "dual",
      RecordingStatusCallback: `http://localhost:8787/webhooks/twilio/${channel.id}/recording-status?callId=${res.body.id}`,
    });
  });

  it("dials the number as E.164, a Brazilian mobile without its ninth digit included, and keeps one contact", async () => {
    const tenant = await createTenant();
    const { channel, callsPrefix } = await twilioVoiceChannel(tenant.token);
    const a = await placeCall(tenant.token, { channelId: channel.id, to: "(11) 8765-4321" });
    const b = await placeCall(tenant.token, { channelId: channel.id, to: "+55 11 98765-4321" });
    expect([a.status, b.status]).toEqual([202, 202]);
    const sent = (await fakeRequests(callsPrefix)).map((r) => form(r.body).get("To"));
    expect(sent).toEqual(["+5511987654321", "+5511987654321"]);
    expect(a.body.contact.id).toBe(b.body.contact.id);
  });

  it("rotates the caller ID over the channel's numbers, least recently used first", async () => {
    const tenant = await createTenant();
    const numbers = [usNumber(), usNumber(), usNumber()];
    const { channel, callsPrefix } = await twilioVoiceChannel(tenant.token, { phoneNumbers: numbers });
    for (let i = 0; i < 5; i++) {
      const res = await placeCall(tenant.token, { channelId: channel.id, to: brMobile() });
      expect(res.status, res.text).toBe(202);
    }
    const from = (await fakeRequests(callsPrefix)).map((r) => form(r.body).get("From"));
    expect(from).toEqual([numbers[0], numbers[1], numbers[2], numbers[0], numbers[1]]);
  });

  it("gives concurrent calls different caller IDs while one is free", async () => {
    const tenant = await createTenant();
    const numbers = [usNumber(), usNumber(), usNumber(), usNumber()];
    const { channel, callsPrefix } = await twilioVoiceChannel(tenant.token, { phoneNumbers: numbers });
    const answers = await Promise.all(
      numbers.map(() => placeCall(tenant.token, { channelId: channel.id, to: brMobile() })),
    );
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202]);
    const from = (await fakeRequests(callsPrefix)).map((r) => form(r.body).get("From"));
    expect(new Set(from), JSON.stringify(from)).toEqual(new Set(numbers));

    // The pick itself, many at once: every number once, then every number twice.
    const picks = await withDb((db) =>
      Promise.all(
        Array.from({ length: 8 }, () =>
          nextCallerId(db, { id: channel.id, organizationId: tenant.organizationId }, numbers),
        ),
      ),
    );
    const counts = numbers.map((n) => picks.filter((p) => p === n).length);
    expect(counts, JSON.stringify(picks)).toEqual([2, 2, 2, 2]);
  });

  it("connects the call to a user of the organization given as agentId", async () => {
    const tenant = await createTenant();
    const agent = await createMember(tenant, "agent");
    const { channel } = await twilioVoiceChannel(tenant.token);
    const res = await placeCall(agent.token, { channelId: channel.id, to: brMobile(), agentId: agent.userId });
    expect(res.status, res.text).toBe(202);
    expect(res.body.agentId).toBe(agent.userId);
    const detail = await call(`/api/calls/${res.body.id}`, { token: tenant.token });
    expect(detail.body.placement).toMatchObject({ requestedBy: { type: "user", id: agent.userId } });
  });
});

describe("POST /api/calls idempotency", () => {
  it("replays the first answer for a repeated Idempotency-Key and dials once, also when the repeats race", async () => {
    const tenant = await createTenant();
    const { channel, callsPrefix } = await twilioVoiceChannel(tenant.token);
    const body = { channelId: channel.id, to: brMobile() };
    const headers = { "idempotency-key": "crm-lead-77-call-1" };
    const first = await placeCall(tenant.token, body, { headers });
    const again = await placeCall(tenant.token, body, { headers });
    expect([first.status, again.status]).toEqual([202, 202]);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get("idempotent-replayed")).toBe("true");

    const raced = await Promise.all(
      [1, 2, 3].map(() => placeCall(tenant.token, body, { headers: { "idempotency-key": "crm-lead-77-call-2" } })),
    );
    expect(raced.map((r) => r.status)).toEqual([202, 202, 202]);
    expect(new Set(raced.map((r) => r.body.id)).size).toBe(1);
    expect(raced.filter((r) => r.headers.get("idempotent-replayed") === "true")).toHaveLength(2);

    expect(await fakeRequests(callsPrefix)).toHaveLength(2);
    expect(await callsOf(tenant.organizationId)).toHaveLength(2);
  });

  it("refuses the same key with another body (422)", async () => {
    const tenant = await createTenant();
    const { channel } = await twilioVoiceChannel(tenant.token);
    const headers = { "idempotency-key": "k-calls-1" };
    expect((await placeCall(tenant.token, { channelId: channel.id, to: brMobile() }, { headers })).status).toBe(202);
    const other = await placeCall(tenant.token, { channelId: channel.id, to: brMobile() }, { headers });
    expect(other.status, other.text).toBe(422);
    expect(other.headers.get("content-type")).toBe("application/problem+json");
  });
});

describe("POST /api/calls refusals", () => {
  it("refuses a blocked number with 409 BLOCKED_NUMBER and an opted-out contact with 409 OPTED_OUT, storing nothing", async () => {
    const tenant = await createTenant();
    const { channel, callsPrefix } = await twilioVoiceChannel(tenant.token);
    const blocked = brMobile();
    expect((await call("/api/blocklist", { token: tenant.token, json: { phone: blocked } })).status).toBe(201);
    // Written without the ninth digit: the same number.
    const withoutNinth = `${blocked.slice(0, 5)}${blocked.slice(6)}`;
    const refused = await placeCall(tenant.token, { channelId: channel.id, to: withoutNinth });
    expect(refused.status, refused.text).toBe(409);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(refused.body).toMatchObject({ code: "BLOCKED_NUMBER", status: 409 });

    const optedOut = brMobile();
    const contact = await call("/api/contacts", { token: tenant.token, json: { phone: optedOut, name: "Ana" } });
    await call(`/api/contacts/${contact.body.id}`, { method: "PATCH", token: tenant.token, json: { optOut: true } });
    const refused2 = await placeCall(tenant.token, { channelId: channel.id, to: optedOut });
    expect(refused2.status, refused2.text).toBe(409);
    expect(refused2.body).toMatchObject({ code: "OPTED_OUT" });

    expect(await callsOf(tenant.organizationId)).toHaveLength(0);
    expect((await jobsOf(tenant.organizationId)).filter((j) => j.name === "call.place")).toHaveLength(0);
    expect(await fakeRequests(callsPrefix)).toHaveLength(0);
  });

  it("refuses a number that cannot be dialed and a channel that does not dial with 422", async () => {
    const tenant = await createTenant();
    const { channel } = await twilioVoiceChannel(tenant.token);
    for (const to of ["123", "not a phone", "+99 1234"]) {
      const res = await placeCall(tenant.token, { channelId: channel.id, to });
      expect(res.status, `${to}: ${res.text}`).toBe(422);
    }
    const sms = await createChannel(tenant.token, {
      type: "twilio_sms",
      config: { authToken: "t", accountSid: "ACx", phoneNumber: "+14155550100" },
    });
    const eleven = await createChannel(tenant.token, {
      type: "elevenlabs",
      config: { webhookSecret: "wsec_0123456789abcdef" },
    });
    for (const id of [sms.id, eleven.id]) {
      const res = await placeCall(tenant.token, { channelId: id, to: brMobile() });
      expect(res.status, res.text).toBe(422);
      expect(res.body.detail).toContain("cannot place calls");
    }
    expect(await callsOf(tenant.organizationId)).toHaveLength(0);
  });

  it("answers 404 for another organization's channel or agent, and 409 for an inactive channel", async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const theirs = await twilioVoiceChannel(other.token);
    const mine = await twilioVoiceChannel(tenant.token);
    const res = await placeCall(tenant.token, { channelId: theirs.channel.id, to: brMobile() });
    expect(res.status, res.text).toBe(404);
    const foreignAgent = await createMember(other, "agent");
    for (const agentId of [foreignAgent.userId, "not-a-user"]) {
      const agent = await placeCall(tenant.token, { channelId: mine.channel.id, to: brMobile(), agentId });
      expect(agent.status, agent.text).toBe(404);
    }
    await call(`/api/channels/${mine.channel.id}`, { method: "PATCH", token: tenant.token, json: { active: false } });
    const inactive = await placeCall(tenant.token, { channelId: mine.channel.id, to: brMobile() });
    expect(inactive.status, inactive.text).toBe(409);
    expect(await callsOf(tenant.organizationId)).toHaveLength(0);
    expect(await fakeRequests(theirs.callsPrefix)).toHaveLength(0);
  });

  it("does not dial a number blocked after the call was queued", async () => {
    const tenant = await createTenant();
    const { channel, callsPrefix } = await twilioVoiceChannel(tenant.token);
    const to = brMobile();
    // With QStash configured the job waits for its delivery; the number is blocked meanwhile.
    const res = await placeCall(tenant.token, { channelId: channel.id, to }, { env: qstashEnv() });
    expect(res.status, res.text).toBe(202);
    expect((await call("/api/blocklist", { token: tenant.token, json: { phone: to } })).status).toBe(201);
    const delivered = await redeliverPlaceJob(res.body.id);
    expect(delivered.status, delivered.text).toBe(200);
    expect((await callRow(res.body.id))?.call).toMatchObject({
      status: "failed",
      disconnectionReason: "blocked_number",
    });
    expect(await fakeRequests(callsPrefix)).toHaveLength(0);
  });
});

describe("call.place", () => {
  it("never dials twice: a redelivery after success finds the call placed", async () => {
    const tenant = await createTenant();
    const { channel, callsPrefix } = await twilioVoiceChannel(tenant.token);
    const res = await placeCall(tenant.token, { channelId: channel.id, to: brMobile() });
    expect((await placeJobOf(res.body.id)).status).toBe("done");
    const again = await redeliverPlaceJob(res.body.id);
    expect(again.status, again.text).toBe(200);
    expect(await fakeRequests(callsPrefix)).toHaveLength(1);
  });

  it("never dials twice: a delivery that finds an attempt without a CallSid records the outcome as unknown", async () => {
    const tenant = await createTenant();
    const { channel, callsPrefix } = await twilioVoiceChannel(tenant.token);
    const res = await placeCall(tenant.token, { channelId: channel.id, to: brMobile() }, { env: qstashEnv() });
    // As if an earlier delivery marked its attempt, dialed, and died before storing the CallSid.
    await withDb((db) =>
      db.update(callPlacements).set({ attemptedAt: new Date() }).where(eq(callPlacements.callId, res.body.id)),
    );
    const delivered = await redeliverPlaceJob(res.body.id);
    expect(delivered.status, delivered.text).toBe(200);
    expect(await fakeRequests(callsPrefix)).toHaveLength(0);
    const row = await callRow(res.body.id);
    expect(row?.call.status).toBe("queued");
    expect(row?.placement?.error).toMatchObject({ code: "outcome_unknown" });
  });

  it("retries 429/5xx in place, then places the call once", async () => {
    const tenant = await createTenant();
    const { channel, callsPrefix } = await twilioVoiceChannel(tenant.token);
    await scriptFake(callsPrefix, [
      unavailable(),
      { status: 429, body: { code: 20429, message: "Too Many Requests" } },
    ]);
    const res = await placeCall(tenant.token, { channelId: channel.id, to: brMobile() });
    expect(await fakeRequests(callsPrefix)).toHaveLength(3);
    expect((await callRow(res.body.id))?.call.providerCallId).toMatch(/^CA[0-9a-f]{32}$/);
    expect((await placeJobOf(res.body.id)).status).toBe("done");
  });

  it("leaves a long Retry-After to the job's backoff, and dials once it is due", async () => {
    const tenant = await createTenant();
    const { channel, callsPrefix } = await twilioVoiceChannel(tenant.token);
    await scriptFake(callsPrefix, [unavailable("120")]);
    const res = await placeCall(tenant.token, { channelId: channel.id, to: brMobile() });
    let job = await placeJobOf(res.body.id);
    expect(job.status).toBe("failed");
    expect(job.nextAttemptAt.getTime()).toBeGreaterThanOrEqual(Date.now() + 110_000);
    expect((await callRow(res.body.id))?.placement?.attemptedAt).toBeNull();

    await makeDue(tenant.organizationId);
    await runScheduled();
    job = await placeJobOf(res.body.id);
    expect(job).toMatchObject({ status: "done", attempts: 2 });
    expect(await fakeRequests(callsPrefix)).toHaveLength(2);
    expect((await callRow(res.body.id))?.call.providerCallId).toMatch(/^CA[0-9a-f]{32}$/);
  });

  it("fails the call when the job gives up after all its attempts", async () => {
    const tenant = await createTenant();
    const { channel, callsPrefix } = await twilioVoiceChannel(tenant.token);
    // Three answers per attempt (two retried in place), six attempts.
    await scriptFake(
      callsPrefix,
      Array.from({ length: 18 }, () => unavailable()),
    );
    const res = await placeCall(tenant.token, { channelId: channel.id, to: brMobile() });
    for (let i = 0; i < 5; i++) {
      await makeDue(tenant.organizationId);
      await runScheduled();
    }
    expect(await placeJobOf(res.body.id)).toMatchObject({ status: "dead", attempts: 6 });
    const row = await callRow(res.body.id);
    expect(row?.call).toMatchObject({ status: "failed", disconnectionReason: "gave_up" });
    expect(row?.placement?.error?.message).toContain("Service Unavailable");
    expect(await fakeRequests(callsPrefix)).toHaveLength(18);
  });

  it("fails a call Twilio refuses, without retrying", async () => {
    const tenant = await createTenant();
    const { channel, callsPrefix } = await twilioVoiceChannel(tenant.token);
    await scriptFake(callsPrefix, [
      { status: 400, body: { code: 21215, message: "Account not authorized to call +5511987654321" } },
    ]);
    const res = await placeCall(tenant.token, { channelId: channel.id, to: brMobile() });
    const row = await callRow(res.body.id);
    expect(row?.call).toMatchObject({ status: "failed", disconnectionReason: "21215", endedAt: expect.any(Date) });
    expect(row?.placement?.error).toMatchObject({ code: "21215", message: expect.stringContaining("not authorized") });
    expect((await placeJobOf(res.body.id)).status).toBe("done");
    expect(await fakeRequests(callsPrefix)).toHaveLength(1);
  });

  it("records a sandbox call as canceled and simulated without calling Twilio", async () => {
    const tenant = await createTenant();
    const { channel, callsPrefix, config } = await twilioVoiceChannel(tenant.token);
    const res = await placeCall(tenant.token, { channelId: channel.id, to: brMobile() }, { env: { SANDBOX: "true" } });
    expect(res.status, res.text).toBe(202);
    expect(await fakeRequests(callsPrefix)).toHaveLength(0);
    const detail = await call(`/api/calls/${res.body.id}`, { token: tenant.token });
    expect(detail.body).toMatchObject({
      status: "canceled",
      simulated: true,
      providerCallId: null,
      disconnectionReason: "simulated",
      callerId: config.phoneNumbers[0],
      placement: { placedAt: expect.any(String), error: null },
    });
  });
});

describe("POST /api/calls on a Retell channel", () => {
  it("creates the phone call with the channel's number, the agent and the metadata", async () => {
    const tenant = await createTenant();
    const retell = await retellChannel(tenant.token, { defaultAgentId: "agent_default" });
    await scriptFake(retell.createPrefix, [
      { status: 201, body: { call_id: "Jabr9TXYYJHfvl6Syypi88rdAHYHmcq6", call_status: "registered" } },
      { status: 201, body: { call_id: "Kbcs0UYZZKIgwm7Tzzqj99seBIZInd7", call_status: "registered" } },
    ]);
    const to = brMobile();
    const given = await placeCall(
      tenant.token,
      { channelId: retell.channel.id, to, agentId: "agent_sales", metadata: { leadId: "L-9" } },
      { env: retell.env },
    );
    expect(given.status, given.text).toBe(202);
    const byDefault = await placeCall(tenant.token, { channelId: retell.channel.id, to }, { env: retell.env });
    const requests = await fakeRequests(retell.createPrefix);
    expect(requests).toHaveLength(2);
    expect(requests[0]?.headers.authorization).toBe(`Bearer ${retell.config.apiKey}`);
    expect(JSON.parse(requests[0]?.body ?? "{}")).toEqual({
      from_number: retell.config.fromNumber,
      to_number: to,
      override_agent_id: "agent_sales",
      metadata: { leadId: "L-9", switchboardCallId: given.body.id },
    });
    expect(JSON.parse(requests[1]?.body ?? "{}")).toMatchObject({ override_agent_id: "agent_default" });
    expect((await callRow(given.body.id))?.call).toMatchObject({
      provider: "retell",
      providerCallId: "Jabr9TXYYJHfvl6Syypi88rdAHYHmcq6",
      providerAgentId: "agent_sales",
      fromNumber: retell.config.fromNumber,
    });
    expect((await callRow(byDefault.body.id))?.call.providerAgentId).toBe("agent_default");
  });

  it("takes an agent of the organization's Retell mirror by its id, and refuses another organization's (404)", async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const retell = await retellChannel(tenant.token);
    const theirs = await retellChannel(other.token);
    const [mirrored, foreign] = await withDb((db) =>
      db
        .insert(retellAgents)
        .values([
          {
            organizationId: tenant.organizationId,
            channelId: retell.channel.id,
            remoteAgentId: "agent_mirrored",
            name: "Sofia",
            voiceId: "11labs-Adrian",
          },
          {
            organizationId: other.organizationId,
            channelId: theirs.channel.id,
            remoteAgentId: "agent_theirs",
            name: "Leo",
            voiceId: "11labs-Adrian",
          },
        ])
        .returning(),
    );
    await scriptFake(retell.createPrefix, [{ status: 201, body: { call_id: "call_mirrored" } }]);
    const ok = await placeCall(
      tenant.token,
      { channelId: retell.channel.id, to: brMobile(), agentId: mirrored?.id },
      { env: retell.env },
    );
    expect(ok.status, ok.text).toBe(202);
    expect(JSON.parse((await fakeRequests(retell.createPrefix))[0]?.body ?? "{}").override_agent_id).toBe(
      "agent_mirrored",
    );
    for (const agentId of ["agent_theirs", foreign?.id, crypto.randomUUID()]) {
      const refused = await placeCall(
        tenant.token,
        { channelId: retell.channel.id, to: brMobile(), agentId },
        { env: retell.env },
      );
      expect(refused.status, `${agentId}: ${refused.text}`).toBe(404);
    }
    expect(await fakeRequests(retell.createPrefix)).toHaveLength(1);
  });

  it("retries Retell's 5xx and fails the call on a 4xx", async () => {
    const tenant = await createTenant();
    const retell = await retellChannel(tenant.token);
    await scriptFake(retell.createPrefix, [
      { status: 500, body: { message: "internal" } },
      { status: 201, body: { call_id: "call_after_500" } },
      { status: 422, body: { error_message: "to_number is not a valid number" } },
    ]);
    const ok = await placeCall(tenant.token, { channelId: retell.channel.id, to: brMobile() }, { env: retell.env });
    const refused = await placeCall(
      tenant.token,
      { channelId: retell.channel.id, to: brMobile() },
      { env: retell.env },
    );
    expect((await callRow(ok.body.id))?.call.providerCallId).toBe("call_after_500");
    expect((await callRow(refused.body.id))?.call).toMatchObject({ status: "failed", disconnectionReason: "422" });
    expect((await callRow(refused.body.id))?.placement?.error?.message).toContain("not a valid number");
    expect(await fakeRequests(retell.createPrefix)).toHaveLength(3);
  });
});

describe("the provider's callbacks find the placed call", () => {
  it("updates the API's row once the CallSid is stored, as the voice-status webhook's upsertCall does", async () => {
    const tenant = await createTenant();
    const { channel } = await twilioVoiceChannel(tenant.token);
    const res = await placeCall(tenant.token, { channelId: channel.id, to: brMobile() });
    const sid = (await callRow(res.body.id))?.call.providerCallId ?? "";
    await withDb(async (db) => {
      for (const status of ["completed", "ringing", "in-progress"] as const) {
        await upsertCall(db, {
          organizationId: tenant.organizationId,
          provider: "twilio",
          providerCallId: sid,
          direction: "outbound",
          status,
          ...(status === "completed" ? { durationSeconds: 42 } : {}),
        });
      }
    });
    const rows = await callsOf(tenant.organizationId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: res.body.id, status: "completed", durationSeconds: 42 });
  });

  it("folds a row a callback made before the CallSid was stored into the API's row", async () => {
    const tenant = await createTenant();
    const { channel } = await twilioVoiceChannel(tenant.token);
    const to = brMobile();
    const res = await placeCall(tenant.token, { channelId: channel.id, to }, { env: qstashEnv() });
    const sid = callSid();
    await withDb(async (db) => {
      // Twilio's `initiated` and `ringing` beat the job: the webhook made a row of its own.
      const early = await upsertCall(db, {
        organizationId: tenant.organizationId,
        provider: "twilio",
        providerCallId: sid,
        direction: "outbound",
        status: "ringing",
        startedAt: new Date(Date.now() - 60_000),
      });
      for (const key of [`${sid}:0`, `${sid}:1`]) {
        await recordCallEvent(db, {
          organizationId: tenant.organizationId,
          callId: early.id,
          kind: "status",
          key,
          payload: {},
        });
      }
      await linkProviderCall(db, {
        organizationId: tenant.organizationId,
        callId: res.body.id,
        provider: "twilio",
        providerCallId: sid,
      });
      // Later callbacks land on the API's row.
      await upsertCall(db, {
        organizationId: tenant.organizationId,
        provider: "twilio",
        providerCallId: sid,
        direction: "outbound",
        status: "completed",
        durationSeconds: 30,
      });
    });
    const rows = await callsOf(tenant.organizationId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: res.body.id,
      providerCallId: sid,
      status: "completed",
      durationSeconds: 30,
      toNumber: to,
      contactId: res.body.contact.id,
    });
    const events = await withDb((db) => db.select().from(callEvents).where(eq(callEvents.callId, res.body.id)));
    expect(events.map((e) => e.key).sort()).toEqual([`${sid}:0`, `${sid}:1`]);
    // The job, delivered late, finds the call linked and dials nothing.
    await withDb((db) =>
      db.update(outbox).set({ status: "pending" }).where(eq(outbox.organizationId, tenant.organizationId)),
    );
    expect((await redeliverPlaceJob(res.body.id)).status).toBe(200);
    expect(
      (await withDb((db) => db.select().from(calls).where(eq(calls.organizationId, tenant.organizationId)))).length,
    ).toBe(1);
  });
});

describe("GET /api/health voice", () => {
  it("reports voice channels per type, where provider calls go and the sandbox, without secrets", async () => {
    const tenant = await createTenant();
    const before = (await call("/api/health")).body.voice;
    const retell = await retellChannel(tenant.token);
    const res = await call("/api/health", { env: { TWILIO_API_URL: "", RETELL_API_URL: "", SANDBOX: "true" } });
    expect(res.status, res.text).toBe(200);
    expect(res.body.voice).toMatchObject({
      sandbox: true,
      providers: {
        twilio_voice: { apiUrl: "default" },
        retell: { apiUrl: "default" },
        elevenlabs: { apiUrl: "none" },
      },
    });
    // Other test files create channels meanwhile: at least this one more.
    expect(res.body.voice.providers.retell.channels).toBeGreaterThanOrEqual(before.providers.retell.channels + 1);
    expect(res.body.voice.providers.retell.active).toBeLessThanOrEqual(res.body.voice.providers.retell.channels);
    const overridden = await call("/api/health", { env: retell.env });
    expect(overridden.body.voice).toMatchObject({
      sandbox: false,
      providers: { twilio_voice: { apiUrl: "overridden" }, retell: { apiUrl: "overridden" } },
    });
    expect(res.text).not.toContain(retell.config.apiKey);
    expect(overridden.text).not.toContain("127.0.0.1");
  });
});
