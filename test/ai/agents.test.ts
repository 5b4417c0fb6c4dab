// AI agents CRUD: defaults, validation, one active agent per channel, roles and isolation.
import { describe, expect, it } from "vitest";
import { createTenant, unique } from "../support/fixtures";
import { createMember } from "../support/helpdesk";
import { call } from "../support/http";
import { createChannel } from "../support/provider";

async function setup() {
  const tenant = await createTenant();
  const meta = () =>
    createChannel(tenant.token, {
      type: "whatsapp_meta",
      config: { phoneNumberId: unique("pn"), appSecret: unique("s"), verifyToken: "v" },
    });
  return { tenant, channels: [await meta(), await meta()] };
}

const agentBody = (channelIds: string[], extra: Record<string, unknown> = {}) => ({
  name: "Sofia",
  instructions: "Qualifique leads da Acme.",
  channelIds,
  ...extra,
});

describe("AI agents", () => {
  it("creates an agent with the documented defaults, and lists, reads, changes and deletes it", async () => {
    const { tenant, channels } = await setup();
    const token = tenant.token;
    const created = await call("/api/ai/agents", { token, json: agentBody([channels[0]?.id as string]) });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({
      name: "Sofia",
      model: "gpt-4o-mini",
      temperature: null,
      channelIds: [channels[0]?.id],
      handoffQueueId: null,
      historyWindow: 20,
      debounceSeconds: 4,
      knowledge: true,
      active: true,
    });
    const id = created.body.id;
    const list = await call("/api/ai/agents", { token });
    expect(list.body.data.map((a: { id: string }) => a.id)).toEqual([id]);
    expect((await call(`/api/ai/agents/${id}`, { token })).body).toEqual(created.body);

    const queue = await call("/api/queues", { token, json: { name: unique("Vendas ") } });
    const changed = await call(`/api/ai/agents/${id}`, {
      method: "PATCH",
      token,
      json: {
        channelIds: channels.map((c) => c.id),
        handoffQueueId: queue.body.id,
        temperature: 0.2,
        debounceSeconds: 8,
      },
    });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.body).toMatchObject({
      channelIds: channels.map((c) => c.id).sort(),
      handoffQueueId: queue.body.id,
      temperature: expect.closeTo(0.2, 5),
      debounceSeconds: 8,
      name: "Sofia",
    });
    expect((await call(`/api/ai/agents/${id}`, { method: "DELETE", token })).status).toBe(204);
    expect((await call(`/api/ai/agents/${id}`, { token })).status).toBe(404);
  });

  it("refuses a second active agent on a channel with 409, and allows it once the first is inactive", async () => {
    const { tenant, channels } = await setup();
    const token = tenant.token;
    const [first, second] = channels.map((c) => c.id) as [string, string];
    const one = await call("/api/ai/agents", { token, json: agentBody([first]) });
    expect(one.status, one.text).toBe(201);
    const clash = await call("/api/ai/agents", { token, json: agentBody([second, first], { name: "Outro" }) });
    expect(clash.status, clash.text).toBe(409);
    expect(clash.body.detail).toContain(first);
    const inactive = await call("/api/ai/agents", { token, json: agentBody([first], { active: false }) });
    expect(inactive.status, inactive.text).toBe(201);
    const activate = await call(`/api/ai/agents/${inactive.body.id}`, {
      method: "PATCH",
      token,
      json: { active: true },
    });
    expect(activate.status).toBe(409);
    const moved = await call(`/api/ai/agents/${one.body.id}`, {
      method: "PATCH",
      token,
      json: { channelIds: [second] },
    });
    expect(moved.status, moved.text).toBe(200);
    const now = await call(`/api/ai/agents/${inactive.body.id}`, { method: "PATCH", token, json: { active: true } });
    expect(now.status, now.text).toBe(200);
    expect(now.body).toMatchObject({ active: true, channelIds: [first] });
  });

  it("validates its input and the channels and queue it names", async () => {
    const { tenant, channels } = await setup();
    const token = tenant.token;
    const bad = await call("/api/ai/agents", {
      token,
      json: { name: "", instructions: "x", channelIds: ["nope"], historyWindow: 0, debounceSeconds: 999 },
    });
    expect(bad.status).toBe(400);
    const paths = bad.body.errors.map((e: { path: string[] }) => e.path.join("."));
    expect(paths).toEqual(expect.arrayContaining(["name", "channelIds.0", "historyWindow", "debounceSeconds"]));
    const other = await setup();
    const foreign = await call("/api/ai/agents", { token, json: agentBody([other.channels[0]?.id as string]) });
    expect(foreign.status).toBe(404);
    const noQueue = await call("/api/ai/agents", {
      token,
      json: agentBody([channels[0]?.id as string], { handoffQueueId: "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b" }),
    });
    expect(noQueue.status).toBe(404);
    expect((await call("/api/ai/agents", { token })).body.data).toHaveLength(0);
  });

  it("is managed by admins, read by supervisors, and invisible to other organizations", async () => {
    const { tenant, channels } = await setup();
    const created = await call("/api/ai/agents", { token: tenant.token, json: agentBody([channels[0]?.id as string]) });
    const agent = await createMember(tenant, "agent");
    const supervisor = await createMember(tenant, "supervisor");
    expect((await call("/api/ai/agents", { token: agent.token })).status).toBe(403);
    expect((await call("/api/ai/agents", { token: supervisor.token })).status).toBe(200);
    const write = await call("/api/ai/agents", { token: supervisor.token, json: agentBody([]) });
    expect(write.status).toBe(403);
    const other = await createTenant();
    expect((await call(`/api/ai/agents/${created.body.id}`, { token: other.token })).status).toBe(404);
    const patch = await call(`/api/ai/agents/${created.body.id}`, {
      method: "PATCH",
      token: other.token,
      json: { active: false },
    });
    expect(patch.status).toBe(404);
  });
});
