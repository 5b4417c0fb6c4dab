// Two organizations side by side: nothing of one is visible or changeable through the other's
// token or key. Foreign ids answer 404, never 403, so ids do not leak existence.
import { describe, expect, it } from "vitest";
import { drivers } from "../support/env";
import { createTenant, PASSWORD, unique } from "../support/fixtures";
import { call } from "../support/http";

describe.each(drivers)("organization isolation (%s driver)", (driver) => {
  it("keeps users and API keys of one organization out of reach of the other", async () => {
    const a = await createTenant({ driver });
    const b = await createTenant({ driver });
    const agent = await call("/api/users", {
      driver,
      token: a.token,
      json: { email: `${unique("iso")}@example.com`, name: "Agent A", role: "agent", password: PASSWORD },
    });
    expect(agent.status, agent.text).toBe(201);
    const keyA = await call("/api/api-keys", { driver, token: a.token, json: { name: "A's key" } });
    const foreignUser = agent.body.user.id;

    for (const credential of [b.token, b.apiKey]) {
      const users = await call("/api/users?limit=100", { driver, token: credential });
      expect(users.status, users.text).toBe(200);
      const ids = users.body.data.map((u: { id: string }) => u.id);
      expect(ids).toContain(b.userId);
      expect(ids).not.toContain(a.userId);
      expect(ids).not.toContain(foreignUser);

      const keys = await call("/api/api-keys?limit=100", { driver, token: credential });
      expect(keys.body.data.map((k: { id: string }) => k.id)).not.toContain(keyA.body.id);

      const read = await call(`/api/users/${foreignUser}`, { driver, token: credential });
      expect(read.status, read.text).toBe(404);
      expect(read.headers.get("content-type")).toBe("application/problem+json");

      const change = await call(`/api/users/${foreignUser}`, {
        driver,
        method: "PATCH",
        token: credential,
        json: { role: "admin" },
      });
      expect(change.status, change.text).toBe(404);

      const remove = await call(`/api/users/${foreignUser}`, { driver, method: "DELETE", token: credential });
      expect(remove.status).toBe(404);

      const revoke = await call(`/api/api-keys/${keyA.body.id}`, { driver, method: "DELETE", token: credential });
      expect(revoke.status).toBe(404);
    }

    // Untouched in its own organization.
    const still = await call(`/api/users/${foreignUser}`, { driver, token: a.token });
    expect(still.body).toMatchObject({ role: "agent", status: "active" });
    expect((await call("/api/auth/me", { driver, token: keyA.body.key })).status).toBe(200);
  });
});
