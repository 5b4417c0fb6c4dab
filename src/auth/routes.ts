import { createRoute, z } from "@hono/zod-openapi";
import { auditFromContext } from "@/audit/context";
import { organizationSchema, presentOrganization } from "@/organizations/schemas";
import type { App } from "@/platform/api-app";
import type { AppContext } from "@/platform/app";
import { issueAccessToken, protectedRoute } from "@/platform/auth";
import { sha256Hex } from "@/platform/crypto";
import { ApiError } from "@/platform/errors";
import { errorResponses, jsonBody, jsonContent, publicErrorResponses, timestamp } from "@/platform/openapi";
import { clientIp, enforceRateLimit } from "@/platform/request";
import { email, password, presentUser, userSchema } from "@/users/schemas";
import { acceptInvite, authenticate, failedLoginTarget, registerOrganization, whoami } from "./service";

const tokenSchema = z.object({ token: z.string(), expiresAt: timestamp }).openapi("AccessToken");

const registerRoute = createRoute({
  method: "post",
  path: "/api/auth/register",
  tags: ["auth"],
  summary: "Create an organization and its first admin",
  request: {
    body: jsonBody(
      z.object({
        organizationName: z.string().trim().min(1).max(200),
        name: z.string().trim().min(1).max(200),
        email,
        password,
      }),
    ),
  },
  responses: {
    201: jsonContent(
      z.object({ user: userSchema, organization: organizationSchema, token: z.string(), expiresAt: timestamp }),
      "Organization and admin created; the token is a bearer JWT.",
    ),
    409: errorResponses[409],
    ...publicErrorResponses,
  },
});

const loginRoute = createRoute({
  method: "post",
  path: "/api/auth/login",
  tags: ["auth"],
  summary: "Exchange e-mail and password for a bearer token",
  request: { body: jsonBody(z.object({ email, password: z.string().min(1).max(128) })) },
  responses: { 200: jsonContent(tokenSchema, "A bearer JWT."), ...publicErrorResponses },
});

const acceptInviteRoute = createRoute({
  method: "post",
  path: "/api/auth/accept-invite",
  tags: ["auth"],
  summary: "Set a password for an invited user and sign in",
  request: { body: jsonBody(z.object({ token: z.string().min(10).max(200), password })) },
  responses: { 200: jsonContent(tokenSchema.extend({ user: userSchema }), "Signed in."), ...publicErrorResponses },
});

const meRoute = protectedRoute({
  method: "get",
  path: "/api/auth/me",
  tags: ["auth"],
  summary: "Who the caller is",
  responses: {
    200: jsonContent(
      z
        .object({
          principal: z.object({ type: z.enum(["user", "api_key"]), id: z.string(), role: z.string() }),
          organization: organizationSchema,
          user: userSchema.nullable(),
          apiKey: z.object({ id: z.string(), name: z.string(), prefix: z.string() }).nullable(),
        })
        .openapi("Me"),
      "The authenticated principal and its organization.",
    ),
  },
});

/** A user signing in (no token yet: the actor and the organization are the account's own). */
function auditSignIn(c: AppContext, user: { id: string; organizationId: string }, action: string) {
  return auditFromContext(c, {
    organizationId: user.organizationId,
    actor: { type: "user", id: user.id },
    action,
    targetType: "user",
    targetId: user.id,
  });
}

/**
 * A failed sign-in is recorded in the organization of the account it tried (never the password, and
 * the e-mail only as that account's id); one for an e-mail no account has belongs to no
 * organization and is logged (e-mail masked) instead.
 */
async function auditFailedLogin(c: AppContext, email: string) {
  const target = await failedLoginTarget(c.var.services.db, email);
  if (!target) {
    c.var.services.log.warn("sign-in failed for an unknown e-mail", { email });
    return;
  }
  await auditFromContext(c, {
    organizationId: target.organizationId,
    actor: { type: "anonymous" },
    action: "auth.login_failed",
    targetType: "user",
    targetId: target.id,
    metadata: { reason: target.reason },
  });
}

export function registerAuthRoutes(app: App) {
  app.openapi(registerRoute, async (c) => {
    const { env, db } = c.var.services;
    const input = c.req.valid("json");
    await enforceRateLimit(c, "register-ip", clientIp(c), { limit: env.REGISTER_MAX_PER_IP, windowSeconds: 3600 });
    const { organization, user } = await registerOrganization(db, input);
    await auditFromContext(c, {
      organizationId: organization.id,
      actor: { type: "user", id: user.id },
      action: "organization.registered",
      targetType: "organization",
      targetId: organization.id,
    });
    const { token, expiresAt } = await issueAccessToken(env, user);
    return c.json(
      {
        user: presentUser(user),
        organization: presentOrganization(organization),
        token,
        expiresAt: expiresAt.toISOString(),
      },
      201,
    );
  });

  app.openapi(loginRoute, async (c) => {
    const { env, db } = c.var.services;
    const input = c.req.valid("json");
    const window = env.LOGIN_WINDOW_SECONDS;
    await enforceRateLimit(c, "login-ip", clientIp(c), { limit: env.LOGIN_MAX_PER_IP, windowSeconds: window });
    await enforceRateLimit(c, "login-email", await sha256Hex(input.email), {
      limit: env.LOGIN_MAX_PER_EMAIL,
      windowSeconds: window,
    });
    let user: Awaited<ReturnType<typeof authenticate>>;
    try {
      user = await authenticate(db, input.email, input.password);
    } catch (error) {
      // Recorded after the answer (waitUntil): a write only for e-mails that exist would let the
      // answer's timing tell which accounts exist, which authenticate() takes care not to.
      if (error instanceof ApiError && error.code === "UNAUTHORIZED") {
        c.var.services.waitUntil(auditFailedLogin(c, input.email));
      }
      throw error;
    }
    await auditSignIn(c, user, "auth.login");
    const { token, expiresAt } = await issueAccessToken(env, user);
    return c.json({ token, expiresAt: expiresAt.toISOString() }, 200);
  });

  app.openapi(acceptInviteRoute, async (c) => {
    const { env, db } = c.var.services;
    const input = c.req.valid("json");
    await enforceRateLimit(c, "login-ip", clientIp(c), {
      limit: env.LOGIN_MAX_PER_IP,
      windowSeconds: env.LOGIN_WINDOW_SECONDS,
    });
    const user = await acceptInvite(db, input.token, input.password);
    await auditSignIn(c, user, "auth.invite_accepted");
    const { token, expiresAt } = await issueAccessToken(env, user);
    return c.json({ token, expiresAt: expiresAt.toISOString(), user: presentUser(user) }, 200);
  });

  app.openapi(meRoute, async (c) => {
    const principal = c.var.principal;
    const { organization, user, apiKey } = await whoami(c.var.services.db, principal);
    return c.json(
      {
        principal: { type: principal.type, id: principal.id, role: principal.role },
        organization: presentOrganization(organization),
        user: user ? presentUser(user) : null,
        apiKey,
      },
      200,
    );
  });
}
