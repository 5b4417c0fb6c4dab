// Tenants and their members written straight into the database, one statement each, the way
// the app would have stored them: a real scrypt hash (computed once per run by the global
// setup, so logging in as a seeded user works) and tokens signed by the app's own code.
// Registering, logging in and creating keys over HTTP stay covered by src/auth/auth.test.ts.
import { type SQL, sql } from "drizzle-orm";
import { v7 as uuidv7 } from "uuid";
import { inject } from "vitest";
import { agents, apiKeys, organizations, type Role, users } from "@/db/schema";
import { API_KEY_PREFIX, issueAccessToken } from "@/platform/auth";
import { randomToken, sha256Hex } from "@/platform/crypto";
import type { Database } from "@/platform/db";
import { parseEnv } from "@/platform/env";
import { withDb } from "./db";
import { type Driver, testEnv } from "./env";
import { trackOrganization } from "./leftover-jobs";

export type Tenant = {
  organizationId: string;
  userId: string;
  email: string;
  token: string;
  apiKey: string;
};

export type Member = { userId: string; token: string; email: string; name: string };

let seq = 0;
const uniqueEmail = (prefix: string) =>
  `${prefix}${Date.now().toString(36)}${++seq}${Math.random().toString(36).slice(2, 6)}@example.com`;

/** Runs the given inserts as one statement (data-modifying CTEs; foreign keys are checked at its end). */
async function insertAll(db: Database, inserts: SQL[]): Promise<void> {
  const ctes = sql.join(
    inserts.map((insert, i) => sql`${sql.raw(`i${i}`)} as (${insert})`),
    sql`, `,
  );
  await db.execute(sql`with ${ctes} select 1`);
}

const signIn = (user: { id: string; organizationId: string; role: Role }) =>
  issueAccessToken(parseEnv(testEnv()), user).then((issued) => issued.token);

function userInserts(db: Database, organizationId: string, role: Role, name: string, email: string, online = false) {
  const userId = uuidv7();
  const passwordHash = inject("passwordHash");
  const inserts = [db.insert(users).values({ id: userId, organizationId, email, name, role, passwordHash }).getSQL()];
  // As createUser does: whoever works tickets gets an agent profile.
  if (role !== "admin") {
    inserts.push(
      db
        .insert(agents)
        .values({ userId, organizationId, ...(online ? { status: "online" as const } : {}) })
        .getSQL(),
    );
  }
  return { userId, inserts };
}

/** An organization with its admin (named Ana Admin) and an admin API key. */
export async function seedTenant(driver: Driver = "pg"): Promise<Tenant> {
  const organizationId = uuidv7();
  const email = uniqueEmail("admin");
  const apiKey = `${API_KEY_PREFIX}${randomToken(30)}`;
  const keyHash = await sha256Hex(apiKey);
  const userId = await withDb(async (db) => {
    const admin = userInserts(db, organizationId, "admin", "Ana Admin", email);
    await insertAll(db, [
      db
        .insert(organizations)
        .values({ id: organizationId, name: `Org ${email}` })
        .getSQL(),
      ...admin.inserts,
      db
        .insert(apiKeys)
        .values({
          id: uuidv7(),
          organizationId,
          name: "test key",
          role: "admin",
          prefix: apiKey.slice(0, 10),
          keyHash,
          createdBy: admin.userId,
        })
        .getSQL(),
    ]);
    return admin.userId;
  }, driver);
  trackOrganization(organizationId);
  const token = await signIn({ id: userId, organizationId, role: "admin" });
  return { organizationId, userId, email, token, apiKey };
}

/** A user of the organization with the given role, signed in (password: PASSWORD). */
export async function seedMember(
  organizationId: string,
  role: Role,
  /** online: the agent is online (in no queue), so new tickets are assigned to them. */
  options: { name?: string; email?: string; driver?: Driver; online?: boolean } = {},
): Promise<Member> {
  const email = options.email ?? uniqueEmail(role);
  const name = options.name ?? `${role} ${email}`;
  const userId = await withDb(async (db) => {
    const user = userInserts(db, organizationId, role, name, email, options.online);
    await insertAll(db, user.inserts);
    return user.userId;
  }, options.driver);
  return { userId, token: await signIn({ id: userId, organizationId, role }), email, name };
}
