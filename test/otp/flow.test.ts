import { afterEach, describe, expect, it, vi } from "vitest";
import { drivers } from "../support/env";
import { createMember, createTenant } from "../support/fixtures";
import { call, runScheduled } from "../support/http";
import { scriptFake } from "../support/provider";
import { jobsOf, makeDue } from "../support/scenario";
import { challengeRow, challengesOf, otpAudit, PHONE, smsTenant, testClock, wrong } from "./support";

afterEach(() => vi.restoreAllMocks());

describe.each(drivers)("one-time codes over SMS (%s driver)", (driver) => {
  it("sends a six-digit code through the Twilio channel, stores only its HMAC, and approves it once", async () => {
    const otp = await smsTenant({ driver });
    const created = await otp.request({ phone: "(11) 98765-4321", purpose: "login" });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      status: "pending",
      expiresAt: expect.any(String),
      attemptsLeft: 5,
      channelId: otp.channel.id,
    });
    expect(Date.parse(created.body.expiresAt) - Date.now()).toBeGreaterThan(290_000);
    expect(Date.parse(created.body.expiresAt) - Date.now()).toBeLessThanOrEqual(300_000);
    expect(created.text).not.toMatch(/\b\d{6}\b/);

    const sent = await otp.sent();
    expect(sent, JSON.stringify(sent)).toHaveLength(1);
    const [{ to, code, body }] = sent as [(typeof sent)[number]];
    expect(to).toBe(PHONE);
    expect(code).toMatch(/^\d{6}$/);
    expect(new URLSearchParams(body).get("Body")).toContain("5 min");

    const row = await challengeRow(created.body.id, driver);
    expect(row).toMatchObject({ phone: PHONE, purpose: "login", status: "pending", sendStatus: "sent", attempts: 0 });
    expect(row?.codeSealed, "the sealed copy is erased once the code went out").toBeNull();
    expect(row?.codeHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(code);

    const first = await otp.verify({ id: created.body.id, code });
    expect(first.body, first.text).toEqual({ status: "approved" });
    const again = await otp.verify({ id: created.body.id, code });
    expect(again.body, "a code approves once").toEqual({ status: "expired" });
    const byPhone = await otp.verify({ phone: PHONE, purpose: "login", code });
    expect(byPhone.body.status, byPhone.text).toBe("invalid");

    const actions = (await otpAudit(otp.tenant.organizationId, driver)).map((a) => a.action);
    expect(actions).toEqual(["otp.created", "otp.sent", "otp.verified", "otp.failed", "otp.failed"]);
  });
});

describe("one-time codes", () => {
  it("counts wrong codes down and, once they are used up, refuses even the right code", async () => {
    const otp = await smsTenant();
    const { body: challenge } = await otp.request({ phone: PHONE, purpose: "transfer" });
    const code = await otp.onlyCode();
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push((await otp.verify({ id: challenge.id, code: wrong(code) })).body);
    expect(answers).toEqual([4, 3, 2, 1, 0].map((attemptsLeft) => ({ status: "invalid", attemptsLeft })));
    expect((await otp.verify({ id: challenge.id, code })).body).toEqual({ status: "max_attempts" });
    expect(await challengeRow(challenge.id)).toMatchObject({ status: "max_attempts", attempts: 5 });
    const audit = await otpAudit(otp.tenant.organizationId);
    expect(audit.filter((a) => a.action === "otp.locked")).toHaveLength(1);
    expect(audit.filter((a) => a.action === "otp.failed")).toHaveLength(6);
  });

  it("accepts the code with spaces or a dash, as people type it", async () => {
    const otp = await smsTenant();
    const { body: challenge } = await otp.request({ phone: PHONE, purpose: "login" });
    const code = await otp.onlyCode();
    const typed = `${code.slice(0, 3)} - ${code.slice(3)}`;
    expect((await otp.verify({ id: challenge.id, code: typed })).body).toEqual({ status: "approved" });
  });

  it("cancels the previous challenge when a new code is requested for the same phone and purpose", async () => {
    const otp = await smsTenant();
    const first = await otp.request({ phone: PHONE, purpose: "login" });
    const other = await otp.request({ phone: PHONE, purpose: "password-reset" });
    const second = await otp.request({ phone: PHONE, purpose: "login" });
    expect([first.status, other.status, second.status]).toEqual([201, 201, 201]);
    const [firstCode, otherCode, secondCode] = (await otp.sent()).map((s) => s.code) as [string, string, string];

    expect((await otp.verify({ id: first.body.id, code: firstCode })).body).toEqual({ status: "canceled" });
    expect((await challengeRow(first.body.id))?.status).toBe("canceled");
    expect((await otp.verify({ phone: PHONE, purpose: "login", code: secondCode })).body).toEqual({
      status: "approved",
    });
    expect((await otp.verify({ id: other.body.id, code: otherCode })).body, "another purpose is untouched").toEqual({
      status: "approved",
    });
    const canceled = (await otpAudit(otp.tenant.organizationId)).filter((a) => a.action === "otp.canceled");
    expect(canceled.map((a) => [a.targetId, a.metadata])).toEqual([[first.body.id, { replacedBy: second.body.id }]]);
  });

  it("expires a code after its lifetime on the clock the tests control", async () => {
    const clock = testClock();
    const otp = await smsTenant();
    const early = await otp.request({ phone: PHONE, purpose: "early" }, { env: clock.env });
    const late = await otp.request({ phone: PHONE, purpose: "late" }, { env: clock.env });
    const [earlyCode, lateCode] = (await otp.sent()).map((s) => s.code) as [string, string];

    clock.advance(299);
    expect((await otp.verify({ id: early.body.id, code: earlyCode }, { env: clock.env })).body).toEqual({
      status: "approved",
    });
    clock.advance(2);
    expect((await otp.verify({ id: late.body.id, code: lateCode }, { env: clock.env })).body).toEqual({
      status: "expired",
    });
    expect((await challengeRow(late.body.id))?.attempts, "an expired challenge takes no attempt").toBe(0);
    const failed = (await otpAudit(otp.tenant.organizationId)).filter((a) => a.action === "otp.failed");
    expect(failed.map((a) => a.metadata.reason)).toEqual(["expired"]);
  });

  it("answers for a phone without a challenge exactly as for a wrong code on a real one", async () => {
    const otp = await smsTenant();
    await otp.request({ phone: PHONE, purpose: "login" });
    const code = await otp.onlyCode();
    const probe = async (phone: string) => {
      const answers = [];
      for (let i = 0; i < 7; i++) {
        const res = await otp.verify({ phone, purpose: "login", code: wrong(code) });
        answers.push({ status: res.status, contentType: res.headers.get("content-type"), body: res.body });
      }
      return answers;
    };
    const real = await probe(PHONE);
    const none = await probe("+5511912345678");
    expect(none).toEqual(real);
    expect(real.map((a) => a.body)).toEqual([
      ...[4, 3, 2, 1, 0].map((attemptsLeft) => ({ status: "invalid", attemptsLeft })),
      // A locked challenge is not live any more: the next check meets a fresh decoy, for both.
      { status: "invalid", attemptsLeft: 4 },
      { status: "invalid", attemptsLeft: 3 },
    ]);
    // A decoy is never sent and no code can match it.
    expect(await otp.sent()).toHaveLength(1);
    const decoys = (await challengesOf(otp.tenant.organizationId)).filter((c) => c.decoy);
    expect(decoys.every((d) => d.sendStatus === "skipped" && d.channelId === null && d.codeSealed === null)).toBe(true);
  });

  it("simulates the send in sandbox mode: the code is never readable anywhere", async () => {
    const otp = await smsTenant();
    const created = await otp.request({ phone: PHONE, purpose: "login" }, { env: { SANDBOX: "true" } });
    expect(created.status, created.text).toBe(201);
    expect(created.text).not.toMatch(/\b\d{6}\b/);
    expect(await otp.sent()).toHaveLength(0);
    const row = await challengeRow(created.body.id);
    expect(row).toMatchObject({ sendStatus: "simulated", codeSealed: null, status: "pending" });
    const sent = (await otpAudit(otp.tenant.organizationId)).find((a) => a.action === "otp.sent");
    expect(sent?.metadata).toMatchObject({ outcome: "simulated" });
  });

  it("retries a send the provider could not take (5xx) with the same code, until it is taken once", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const otp = await smsTenant();
    await scriptFake(
      otp.prefix,
      Array.from({ length: 3 }, () => ({ status: 503, body: { code: 20500, message: "down" } })),
    );
    const created = await otp.request({ phone: PHONE, purpose: "login" });
    expect(created.status, created.text).toBe(201);
    const waiting = await challengeRow(created.body.id);
    expect(waiting).toMatchObject({ sendStatus: "queued", sendAttempts: 1 });
    expect(waiting?.codeSealed, "kept sealed for the retry").toEqual(expect.any(String));

    await makeDue(otp.tenant.organizationId);
    await runScheduled();
    // A later sweep finds the job done: nothing is sent again.
    await makeDue(otp.tenant.organizationId);
    await runScheduled();
    const sent = await otp.sent();
    expect(sent, "three refused tries, then the one Twilio took").toHaveLength(4);
    const job = (await jobsOf(otp.tenant.organizationId)).find((j) => j.name === "otp.send");
    expect(job).toMatchObject({ status: "done", attempts: 2 });
    expect(await challengeRow(created.body.id)).toMatchObject({
      sendStatus: "sent",
      codeSealed: null,
      sendAttempts: 2,
    });
    const code = sent.at(-1)?.code as string;
    expect(
      sent.every((s) => s.code === code),
      "every try carries the same code",
    ).toBe(true);
    expect((await otp.verify({ id: created.body.id, code })).body).toEqual({ status: "approved" });
    expect((await otpAudit(otp.tenant.organizationId)).filter((a) => a.action === "otp.sent")).toHaveLength(1);
  });

  it("keeps the code out of every log line and masks the phone", async () => {
    const lines: string[] = [];
    for (const level of ["log", "warn", "error"] as const) {
      vi.spyOn(console, level).mockImplementation((line: unknown) => lines.push(String(line)));
    }
    const otp = await smsTenant();
    const env = { LOG_LEVEL: "debug" };
    const created = await otp.request({ phone: PHONE, purpose: "login" }, { env });
    const code = await otp.onlyCode();
    await otp.verify({ id: created.body.id, code: wrong(code) }, { env });
    await otp.verify({ id: created.body.id, code }, { env });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.filter((l) => l.includes(code))).toEqual([]);
    expect(lines.filter((l) => l.includes("987654321"))).toEqual([]);
  });

  it("refuses over the limit per phone and purpose with 429 and Retry-After until the window frees a send", async () => {
    const clock = testClock();
    const otp = await smsTenant();
    const ask = () => otp.request({ phone: PHONE, purpose: "login" }, { env: clock.env });
    for (let i = 0; i < 3; i++) {
      expect((await ask()).status).toBe(201);
      clock.advance(60);
    }
    const refused = await ask();
    expect(refused.status, refused.text).toBe(429);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(refused.body.code).toBe("RATE_LIMITED");
    // The oldest send was 180 s ago: it leaves the 900 s window in 720 s.
    expect(refused.headers.get("retry-after")).toBe("720");
    expect((await otp.request({ phone: PHONE, purpose: "other" }, { env: clock.env })).status).toBe(201);
    clock.advance(721);
    expect((await ask()).status).toBe(201);
    expect(await otp.sent()).toHaveLength(5);
  });

  it("holds the organization's hourly ceiling across phones, and never above the deployment's", async () => {
    const clock = testClock();
    const otp = await smsTenant();
    const set = await call("/api/otp/settings", {
      method: "PATCH",
      token: otp.tenant.token,
      json: { orgMaxPerHour: 2 },
    });
    expect(set.body.orgMaxPerHour, set.text).toBe(2);
    const phones = ["+5511911111111", "+5511922222222", "+5511933333333"];
    const answers = [];
    for (const phone of phones) answers.push(await otp.request({ phone, purpose: "login" }, { env: clock.env }));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 429]);
    const retryAfter = Number(answers[2]?.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    clock.advance(retryAfter);
    expect((await otp.request({ phone: phones[2], purpose: "login" }, { env: clock.env })).status).toBe(201);

    const above = await call("/api/otp/settings", {
      method: "PATCH",
      token: otp.tenant.token,
      json: { orgMaxPerHour: 5000 },
      env: { OTP_ORG_MAX_PER_HOUR: "1000" },
    });
    expect(above.body.orgMaxPerHour).toBe(1000);
  });

  it("replays the first answer for a repeated Idempotency-Key and sends once", async () => {
    const otp = await smsTenant();
    const headers = { "idempotency-key": "ivr-call-42" };
    const a = await otp.request({ phone: PHONE, purpose: "login" }, { headers });
    const b = await otp.request({ phone: PHONE, purpose: "login" }, { headers });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.body).toEqual(a.body);
    expect(b.headers.get("idempotent-replayed")).toBe("true");
    expect(await otp.sent()).toHaveLength(1);
  });

  it("still checks codes hashed with the previous pepper after a rotation, until they expire", async () => {
    const oldPepper = "old-otp-pepper-with-at-least-32-characters";
    const newPepper = "new-otp-pepper-with-at-least-32-characters";
    const otp = await smsTenant();
    const before = await otp.request({ phone: PHONE, purpose: "a" }, { env: { OTP_PEPPER: oldPepper } });
    const other = await otp.request({ phone: PHONE, purpose: "b" }, { env: { OTP_PEPPER: oldPepper } });
    const [codeA, codeB] = (await otp.sent()).map((s) => s.code) as [string, string];
    const rotated = { OTP_PEPPER: `${newPepper},${oldPepper}` };
    expect((await otp.verify({ id: before.body.id, code: codeA }, { env: rotated })).body).toEqual({
      status: "approved",
    });
    const after = await otp.request({ phone: PHONE, purpose: "c" }, { env: rotated });
    const codeC = (await otp.sent())[2]?.code as string;
    expect((await challengeRow(after.body.id))?.keyId).not.toBe((await challengeRow(before.body.id))?.keyId);
    expect((await otp.verify({ id: after.body.id, code: codeC }, { env: { OTP_PEPPER: newPepper } })).body).toEqual({
      status: "approved",
    });
    // Once the old key is dropped, what it hashed no longer matches.
    expect((await otp.verify({ id: other.body.id, code: codeB }, { env: { OTP_PEPPER: newPepper } })).body).toEqual({
      status: "invalid",
      attemptsLeft: 4,
    });
  });

  it("answers 500 misconfigured without OTP_PEPPER, and stores nothing", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const otp = await smsTenant();
    const res = await otp.request({ phone: PHONE, purpose: "login" }, { env: { OTP_PEPPER: "" } });
    expect(res.status, res.text).toBe(500);
    expect(res.body.code).toBe("MISCONFIGURED");
    expect(await challengesOf(otp.tenant.organizationId)).toEqual([]);
  });

  it("refuses a phone that is not one, a channel that cannot carry the kind, and an organization without a channel", async () => {
    const otp = await smsTenant();
    const bad = await otp.request({ phone: "12", purpose: "login" });
    expect(bad.status).toBe(400);
    const notPhone = await otp.request({ phone: "+99 1234 5678", purpose: "login" });
    expect(notPhone.status, notPhone.text).toBe(422);
    const whatsapp = await otp.request({ phone: PHONE, purpose: "login", channel: "whatsapp" });
    expect(whatsapp.status, whatsapp.text).toBe(422);
    const smsOnWa = await otp.request({
      phone: PHONE,
      purpose: "login",
      channel: "whatsapp",
      channelId: otp.channel.id,
    });
    expect(smsOnWa.status, smsOnWa.text).toBe(422);
    const empty = await createTenant();
    const none = await call("/api/otp", {
      token: empty.token,
      json: { phone: PHONE, purpose: "login", channel: "sms" },
    });
    expect(none.status, none.text).toBe(422);
  });

  it("picks the organization's oldest active channel of the kind when none is named", async () => {
    const otp = await smsTenant();
    const newer = await smsTenant({ tenant: otp.tenant });
    const whatsappTwilio = await smsTenant({ tenant: otp.tenant, phoneNumber: "whatsapp:+14155238886" });
    const created = await otp.request({ phone: PHONE, purpose: "login" });
    expect(created.body.channelId).toBe(otp.channel.id);
    const named = await otp.request({ phone: PHONE, purpose: "other", channelId: newer.channel.id });
    expect(named.body.channelId).toBe(newer.channel.id);
    expect(await otp.sent()).toHaveLength(1);
    expect(await newer.sent()).toHaveLength(1);
    expect(await whatsappTwilio.sent()).toHaveLength(0);
  });

  it("keeps organizations apart: another's challenge and channel are 404, its phones look unknown", async () => {
    const a = await smsTenant();
    const b = await smsTenant();
    const created = await a.request({ phone: PHONE, purpose: "login" });
    const code = await a.onlyCode();

    const foreign = await b.verify({ id: created.body.id, code });
    expect(foreign.status, foreign.text).toBe(404);
    expect(foreign.headers.get("content-type")).toBe("application/problem+json");
    const byPhone = await b.verify({ phone: PHONE, purpose: "login", code });
    expect(byPhone.body).toEqual({ status: "invalid", attemptsLeft: 4 });
    const channel = await b.request({ phone: PHONE, purpose: "login", channelId: a.channel.id });
    expect(channel.status, channel.text).toBe(404);

    expect(await challengeRow(created.body.id)).toMatchObject({ attempts: 0, status: "pending" });
    expect((await a.verify({ id: created.body.id, code })).body).toEqual({ status: "approved" });
    expect((await otpAudit(b.tenant.organizationId)).every((e) => e.targetId !== created.body.id)).toBe(true);
  });

  it("lets admins change the rules, supervisors read them, agents neither", async () => {
    const otp = await smsTenant();
    const agent = await createMember(otp.tenant, "agent");
    const supervisor = await createMember(otp.tenant, "supervisor");
    const patch = (token: string, json: unknown) => call("/api/otp/settings", { method: "PATCH", token, json });
    expect((await patch(agent.token, { maxAttempts: 3 })).status).toBe(403);
    expect((await patch(supervisor.token, { maxAttempts: 3 })).status).toBe(403);
    expect((await call("/api/otp/settings", { token: agent.token })).status).toBe(403);
    expect((await patch(otp.tenant.token, { ttlSeconds: 3600 })).status, "NIST: at most 10 minutes").toBe(400);
    expect((await patch(otp.tenant.token, { smsText: "no placeholder" })).status).toBe(400);
    const changed = await patch(otp.tenant.token, { maxAttempts: 3, ttlSeconds: 120, smsText: "Código {code}" });
    expect(changed.body, changed.text).toMatchObject({ maxAttempts: 3, ttlSeconds: 120, rateLimitMax: 3 });
    expect((await call("/api/otp/settings", { token: supervisor.token })).body).toEqual(changed.body);

    const created = await otp.request({ phone: PHONE, purpose: "login" });
    expect(created.body.attemptsLeft).toBe(3);
    expect(Date.parse(created.body.expiresAt) - Date.now()).toBeLessThanOrEqual(120_000);
    const [sent] = await otp.sent();
    expect(new URLSearchParams(sent?.body).get("Body")).toBe(`Código ${sent?.code}`);
    // Agents send and check codes: verifying callers is their work.
    const verified = await call("/api/otp/verify", {
      token: agent.token,
      json: { id: created.body.id, code: sent?.code },
    });
    expect(verified.body).toEqual({ status: "approved" });
  });
});
