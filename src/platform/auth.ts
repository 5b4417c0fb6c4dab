import { createRoute, type RouteConfig } from "@hono/zod-openapi";
import { and, eq, gt, isNull, or } from "drizzle-orm";
import { createMiddleware } from "hono/factory";
import { decode, sign, verify } from "hono/jwt";
import { apiKeys, type Role, users } from "@/db/schema";
import type { AppEnv } from "./app";
import { currentKey, keyList, keysWithId, sha256Hex, toBase64Url } from "./crypto";
import type { Env } from "./env";
import { ApiError } from "./errors";
import { bearerSecurity, errorResponses } from "./openapi";
import type { Principal } from "./principal";
import { enforceRateLimit } from "./request";

export const API_KEY_PREFIX = "sb_";
const ISSUER = "switchboard";

export async function issueAccessToken(
  env: Env,
  user: { id: string; organizationId: string; role: Role },
): Promise<{ token: string; expiresAt: Date }> {
  const now = Math.floor(Date.now() / 1000);
  const exp = now + env.JWT_TTL_SECONDS;
  // Signed with the current JWT_SECRET, named in the header's kid (key rotation, README).
  const { kid, key } = await currentKey(env.JWT_SECRET);
  const jwk = { kty: "oct", k: toBase64Url(new TextEncoder().encode(key)), alg: "HS256", kid };
  const token = await sign(
    { sub: user.id, org: user.organizationId, role: user.role, iss: ISSUER, iat: now, exp },
    jwk,
  );
  return { token, expiresAt: new Date(exp * 1000) };
}

/**
 * The token's claims if one of JWT_SECRET's keys signed it: the key its kid names, or, for a token
 * minted before tokens named their key, each listed key in turn. A kid no listed key has is refused.
 */
async function verifyAccessToken(env: Env, token: string): Promise<Record<string, unknown>> {
  const { kid } = decode(token).header;
  const secrets = typeof kid === "string" ? await keysWithId(env.JWT_SECRET, kid) : keyList(env.JWT_SECRET);
  let failure: unknown = new Error("no key for this token");
  for (const secret of secrets) {
    try {
      return await verify(token, secret, { alg: "HS256", iss: ISSUER });
    } catch (error) {
      failure = error;
    }
  }
  throw failure;
}

async function userPrincipal(c: { var: AppEnv["Variables"] }, token: string): Promise<Principal | null> {
  const { env, db } = c.var.services;
  let payload: Record<string, unknown>;
  try {
    payload = await verifyAccessToken(env, token);
  } catch {
    return null;
  }
  if (typeof payload.sub !== "string" || typeof payload.org !== "string") return null;
  // The database, not the token, says whether the user is still active and what role they hold.
  const [user] = await db
    .select({ id: users.id, organizationId: users.organizationId, role: users.role })
    .from(users)
    .where(and(eq(users.id, payload.sub), eq(users.organizationId, payload.org), eq(users.active, true)));
  return user ? { type: "user", ...user } : null;
}

async function apiKeyPrincipal(c: { var: AppEnv["Variables"] }, key: string): Promise<Principal | null> {
  const { db, now, waitUntil } = c.var.services;
  const [row] = await db
    .select({
      id: apiKeys.id,
      organizationId: apiKeys.organizationId,
      role: apiKeys.role,
      lastUsedAt: apiKeys.lastUsedAt,
    })
    .from(apiKeys)
    .where(
      and(
        eq(apiKeys.keyHash, await sha256Hex(key)),
        isNull(apiKeys.revokedAt),
        or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now())),
      ),
    );
  if (!row) return null;
  // Record use at most once a minute rather than writing on every request.
  if (!row.lastUsedAt || now().getTime() - row.lastUsedAt.getTime() > 60_000) {
    waitUntil(db.update(apiKeys).set({ lastUsedAt: now() }).where(eq(apiKeys.id, row.id)));
  }
  return { type: "api_key", id: row.id, organizationId: row.organizationId, role: row.role };
}

/** `Authorization: Bearer <jwt | api key>` → `c.var.principal`, or one generic 401. */
export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("authorization") ?? "";
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match?.[1]) throw new ApiError("UNAUTHORIZED", "Send Authorization: Bearer <token or API key>.");
  const credential = match[1];
  const principal = credential.startsWith(API_KEY_PREFIX)
    ? await apiKeyPrincipal(c, credential)
    : await userPrincipal(c, credential);
  if (!principal) throw new ApiError("UNAUTHORIZED", "The token or API key is invalid, expired or revoked.");
  c.set("principal", principal);
  const { env } = c.var.services;
  await enforceRateLimit(c, "api-org", principal.organizationId, {
    limit: env.API_RATE_LIMIT_PER_MINUTE,
    windowSeconds: 60,
  });
  if (principal.type === "api_key") {
    await enforceRateLimit(c, "api-key", principal.id, { limit: env.API_KEY_RATE_LIMIT_PER_MINUTE, windowSeconds: 60 });
  }
  await next();
});

export function authorize(...roles: Role[]) {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (!roles.includes(c.var.principal.role)) {
      throw new ApiError("FORBIDDEN", `This action needs the role ${roles.join(" or ")}.`);
    }
    await next();
  });
}

type ProtectedConfig = Omit<RouteConfig, "security" | "middleware"> & { roles?: Role[] };

/** A route that requires a bearer token or API key (and optionally a role), documented as such. */
export function protectedRoute<const R extends ProtectedConfig>(config: R) {
  const { roles, ...route } = config;
  return createRoute({
    ...route,
    security: bearerSecurity,
    middleware: roles ? [authenticate, authorize(...roles)] : [authenticate],
    responses: { ...errorResponses, ...route.responses },
  } as Omit<R, "roles"> & { security: typeof bearerSecurity; middleware: (typeof authenticate)[] });
}
