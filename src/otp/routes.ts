import { z } from "@hono/zod-openapi";
import { otpChannels } from "@/db/schema";
import { dispatch } from "@/jobs/dispatch";
import type { QueuedJob } from "@/jobs/outbox";
import type { App } from "@/platform/api-app";
import type { AppContext } from "@/platform/app";
import { protectedRoute } from "@/platform/auth";
import { idempotent } from "@/platform/idempotency";
import { jsonBody, jsonContent, timestamp } from "@/platform/openapi";
import { clientIp } from "@/platform/request";
import { type OtpContext, prepareChallenge, verifyChallenge } from "./service";
import { otpSettingsChanges, otpSettingsSchema, readOtpSettings, writeOtpSettings } from "./settings";

const purpose = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[\w.:-]+$/, "letters, digits and _ . : -")
  .openapi({ example: "login" });
const phone = z.string().trim().min(6).max(32).openapi({ example: "+5511987654321" });
const code = z
  .string()
  .trim()
  .min(1)
  .max(20)
  .openapi({ example: "123456", description: "Spaces and dashes are ignored." });

const created = z
  .object({
    id: z.uuid(),
    status: z.literal("pending"),
    expiresAt: timestamp,
    attemptsLeft: z.number().int(),
    channelId: z.uuid().openapi({ description: "The channel the code goes through." }),
  })
  .openapi("OtpChallenge");

const verdict = z
  .object({
    status: z.enum(["approved", "invalid", "expired", "max_attempts", "canceled"]).openapi({
      description:
        "approved: the code is right (once: a challenge approves one time only, then answers expired). invalid: a wrong code, see attemptsLeft. expired: its time is up (or it was used). max_attempts: no attempt left, even the right code fails. canceled: a newer code was requested for the phone and purpose. By phone and purpose only approved, invalid and max_attempts are answered: a phone without a live challenge answers like a wrong code on one.",
    }),
    attemptsLeft: z.number().int().optional().openapi({ description: "With invalid." }),
  })
  .openapi("OtpVerdict");

const routes = {
  create: protectedRoute({
    method: "post",
    path: "/api/otp",
    tags: ["otp"],
    summary: "Send a one-time code to a phone",
    description:
      "A 6-digit code from the CSPRNG, stored only as an HMAC (and sealed for the send job until it went out), sent by an `otp.send` job through the organization's SMS or WhatsApp channel: `channelId`, else the oldest active channel of that kind. Where WhatsApp's 24-hour window applies it goes as the organization's authentication template (`whatsappTemplate`, PATCH /api/otp/settings). In sandbox mode the send is simulated. The code is never returned or logged. A new request for the same phone and purpose cancels the previous code. Over a limit (codes per phone and purpose in the window, codes per organization an hour): 429 with Retry-After. Send `Idempotency-Key` to make retries safe.",
    request: {
      headers: z.object({ "idempotency-key": z.string().max(255).optional() }),
      body: jsonBody(
        z
          .object({ phone, purpose, channel: z.enum(otpChannels).default("sms"), channelId: z.uuid().optional() })
          .openapi("NewOtp"),
      ),
    },
    responses: { 201: jsonContent(created, "The challenge; the code is on its way.") },
  }),
  verify: protectedRoute({
    method: "post",
    path: "/api/otp/verify",
    tags: ["otp"],
    summary: "Check a one-time code",
    description:
      "By challenge `id` (404 when it is not the organization's), or by `phone` and `purpose` (the newest live challenge). Always 200 with the verdict; each check counts one attempt.",
    request: {
      body: jsonBody(
        z.union([z.object({ id: z.uuid(), code }), z.object({ phone, purpose, code })]).openapi("OtpVerify"),
      ),
    },
    responses: { 200: jsonContent(verdict, "The verdict.") },
  }),
  settings: protectedRoute({
    method: "get",
    path: "/api/otp/settings",
    tags: ["otp"],
    summary: "The organization's one-time-code rules",
    roles: ["admin", "supervisor"],
    responses: { 200: jsonContent(otpSettingsSchema, "The rules in force (the deployment's defaults where unset).") },
  }),
  updateSettings: protectedRoute({
    method: "patch",
    path: "/api/otp/settings",
    tags: ["otp"],
    summary: "Change the organization's one-time-code rules",
    roles: ["admin"],
    request: { body: jsonBody(otpSettingsChanges) },
    responses: { 200: jsonContent(otpSettingsSchema, "The rules in force.") },
  }),
};

function otpContext(c: AppContext): OtpContext {
  const { db, env, now } = c.var.services;
  return { db, env, now: now(), principal: c.var.principal, ip: clientIp(c) };
}

export function registerOtpRoutes(app: App) {
  app.openapi(routes.create, async (c) => {
    const services = c.var.services;
    const input = c.req.valid("json");
    const open = await prepareChallenge(otpContext(c), input);
    let jobs: QueuedJob[] = [];
    const { result, replayed } = await idempotent(c, input, async (tx) => {
      const opened = await open(tx);
      jobs = opened.jobs;
      const { challenge } = opened;
      return {
        status: 201,
        body: {
          id: challenge.id,
          status: "pending" as const,
          expiresAt: challenge.expiresAt.toISOString(),
          attemptsLeft: challenge.maxAttempts,
          channelId: challenge.channelId as string,
        },
      };
    });
    if (jobs.length) services.waitUntil(dispatch(services, jobs));
    if (replayed) c.header("idempotent-replayed", "true");
    return c.json(result.body, 201);
  });

  app.openapi(routes.verify, async (c) => {
    const verdict = await verifyChallenge(otpContext(c), c.req.valid("json"));
    return c.json(verdict, 200);
  });

  app.openapi(routes.settings, async (c) => {
    const { db, env } = c.var.services;
    return c.json(await readOtpSettings(db, env, c.var.principal.organizationId), 200);
  });

  app.openapi(routes.updateSettings, async (c) => {
    const { db, env } = c.var.services;
    return c.json(await writeOtpSettings(db, env, c.var.principal.organizationId, c.req.valid("json")), 200);
  });
}
