import { describe, expect, it } from "vitest";
import { createTenant, PASSWORD, unique } from "../../test/support/fixtures";
import { call } from "../../test/support/http";

describe("users management", () => {
  it("invites a user who accepts with a password and can then log in", async () => {
    const tenant = await createTenant();
    const email = `${unique("invitee")}@example.com`;
    const invited = await call("/api/users", {
      token: tenant.token,
      json: { email, name: "Caio", role: "supervisor" },
    });
    expect(invited.status, invited.text).toBe(201);
    expect(invited.body.user.status).toBe("invited");
    expect(invited.body.inviteToken).toEqual(expect.any(String));

    expect((await call("/api/auth/login", { json: { email, password: PASSWORD } })).status).toBe(401);

    const accepted = await call("/api/auth/accept-invite", {
      json: { token: invited.body.inviteToken, password: PASSWORD },
    });
    expect(accepted.status, accepted.text).toBe(200);
    expect(accepted.body.user).toMatchObject({ email, role: "supervisor", status: "active" });

    const again = await call("/api/auth/accept-invite", {
      json: { token: invited.body.inviteToken, password: PASSWORD },
    });
    expect(again.status).toBe(401);
    expect((await call("/api/auth/login", { json: { email, password: PASSWORD } })).status).toBe(200);
  });

  it("changes roles and lets only admins manage users", async () => {
    const tenant = await createTenant();
    const email = `${unique("agent")}@example.com`;
    const created = await call("/api/users", {
      token: tenant.token,
      json: { email, name: "Duda", role: "agent", password: PASSWORD },
    });
    const agentToken = (await call("/api/auth/login", { json: { email, password: PASSWORD } })).body.token;

    const forbidden = await call("/api/users", {
      token: agentToken,
      json: { email: `${unique()}@example.com`, name: "X", role: "admin" },
    });
    expect(forbidden.status, forbidden.text).toBe(403);
    expect((await call("/api/users", { token: agentToken })).status).toBe(403);

    const promoted = await call(`/api/users/${created.body.user.id}`, {
      method: "PATCH",
      token: tenant.token,
      json: { role: "supervisor", name: "Duda S." },
    });
    expect(promoted.status, promoted.text).toBe(200);
    expect(promoted.body).toMatchObject({ role: "supervisor", name: "Duda S." });
    // The role change applies to tokens already issued: the database, not the token, decides.
    expect((await call("/api/users", { token: agentToken })).status).toBe(200);
  });

  it("never leaves an organization without an active admin", async () => {
    const tenant = await createTenant();
    const demote = await call(`/api/users/${tenant.userId}`, {
      method: "PATCH",
      token: tenant.token,
      json: { role: "agent" },
    });
    expect(demote.status, demote.text).toBe(409);
    const deactivate = await call(`/api/users/${tenant.userId}`, { method: "DELETE", token: tenant.token });
    expect(deactivate.status).toBe(409);
  });

  it("paginates with cursors until nextCursor is null", async () => {
    const tenant = await createTenant();
    for (let i = 0; i < 4; i++) {
      await call("/api/users", {
        token: tenant.token,
        json: { email: `${unique("p")}@example.com`, name: `U${i}`, role: "agent" },
      });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: { status: number; text: string; body: { data: { id: string }[]; nextCursor: string | null } } =
        await call(`/api/users?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { token: tenant.token });
      expect(res.status, res.text).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data.map((u: { id: string }) => u.id));
      cursor = res.body.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(5);
    expect([...seen].sort().reverse()).toEqual(seen);
  });

  it("rejects a tampered cursor and an out-of-range limit with 400", async () => {
    const tenant = await createTenant();
    expect((await call("/api/users?cursor=bm9wZQ", { token: tenant.token })).status).toBe(400);
    const limit = await call("/api/users?limit=1000", { token: tenant.token });
    expect(limit.status).toBe(400);
    expect(limit.body.errors[0].path).toEqual(["limit"]);
  });
});
