// GET /api/notifications and the read routes: a user's own notifications only, in keyset pages.
import { describe, expect, it } from "vitest";
import { createTenant } from "../support/fixtures";
import { call } from "../support/http";
import { assign, runScheduled, slaOrg, travel } from "./support";

const MINUTE = 60;

/** Three breached tickets: the first assigned to the agent, the others to nobody. */
async function alerted() {
  const org = await slaOrg({ slaFirstResponseMinutes: 10 }, { connect: false });
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push((await org.inbound(`cliente ${i}`)).ticketId);
  await assign(org, ids[0] as string, org.agent);
  await travel(ids, 11 * MINUTE);
  await runScheduled();
  return { org, ids };
}

describe("notifications API", () => {
  it("lists the caller's own notifications, newest first: supervisors and admins get every alert, agents their tickets'", async () => {
    const { org, ids } = await alerted();
    const supervisor = await call("/api/notifications", { token: org.supervisor.token });
    expect(supervisor.status, supervisor.text).toBe(200);
    expect(supervisor.body.data.map((n: { ticketId: string }) => n.ticketId)).toEqual([...ids].reverse());
    expect(supervisor.body.data[0]).toMatchObject({
      type: "sla.breached",
      title: expect.stringMatching(/^SLA breached: first response of ticket #\d+$/),
      readAt: null,
      data: { kind: "first_response", cycle: 1, ticketId: ids[2] },
    });
    const admin = await call("/api/notifications", { token: org.tenant.token });
    expect(admin.body.data).toHaveLength(3);
    const agent = await call("/api/notifications", { token: org.agent.token });
    expect(agent.body.data.map((n: { ticketId: string }) => n.ticketId)).toEqual([ids[0]]);
    expect((await call("/api/notifications", { token: org.otherAgent.token })).body.data).toEqual([]);
    // An API key is no user: it has no notifications of its own.
    expect((await call("/api/notifications", { token: org.tenant.apiKey })).body.data).toEqual([]);
  });

  it("pages with a keyset cursor and filters the unread ones", async () => {
    const { org, ids } = await alerted();
    const first = await call("/api/notifications?limit=2", { token: org.supervisor.token });
    expect(first.body.data).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await call(`/api/notifications?limit=2&cursor=${first.body.nextCursor}`, {
      token: org.supervisor.token,
    });
    expect(second.body).toMatchObject({ nextCursor: null });
    expect([...first.body.data, ...second.body.data].map((n: { ticketId: string }) => n.ticketId)).toEqual(
      [...ids].reverse(),
    );

    const target = first.body.data[1].id;
    const read = await call(`/api/notifications/${target}/read`, { method: "POST", token: org.supervisor.token });
    expect(read.status, read.text).toBe(200);
    expect(Date.parse(read.body.readAt)).not.toBeNaN();
    const again = await call(`/api/notifications/${target}/read`, { method: "POST", token: org.supervisor.token });
    expect(again.body.readAt).toBe(read.body.readAt); // reading twice keeps the first time
    const unread = await call("/api/notifications?unread=true", { token: org.supervisor.token });
    expect(unread.body.data.map((n: { id: string }) => n.id)).not.toContain(target);
    expect(unread.body.data).toHaveLength(2);

    const all = await call("/api/notifications/read-all", { method: "POST", token: org.supervisor.token });
    expect(all.body).toEqual({ updated: 2 });
    expect((await call("/api/notifications?unread=true", { token: org.supervisor.token })).body.data).toEqual([]);
    // Another user's notifications were left alone.
    expect((await call("/api/notifications?unread=true", { token: org.tenant.token })).body.data).toHaveLength(3);
    const bad = await call("/api/notifications?cursor=nonsense", { token: org.supervisor.token });
    expect(bad.status, bad.text).toBe(400);
  });

  it("answers 404 for someone else's notification, in the organization or outside it", async () => {
    const { org } = await alerted();
    const [mine] = (await call("/api/notifications", { token: org.supervisor.token })).body.data;
    const colleague = await call(`/api/notifications/${mine.id}/read`, { method: "POST", token: org.tenant.token });
    expect(colleague.status, colleague.text).toBe(404);
    const stranger = await createTenant();
    for (const token of [stranger.token, stranger.apiKey]) {
      const res = await call(`/api/notifications/${mine.id}/read`, { method: "POST", token });
      expect(res.status, res.text).toBe(404);
      expect((await call("/api/notifications", { token })).body.data).toEqual([]);
      expect((await call("/api/notifications/read-all", { method: "POST", token })).body).toEqual({ updated: 0 });
    }
    expect((await call("/api/notifications?unread=true", { token: org.supervisor.token })).body.data).toHaveLength(3);
    expect((await call("/api/notifications")).status).toBe(401);
  });
});
