// The call row every voice provider writes: status only moves forward, redelivered callbacks are
// recorded once, and callbacks in any order give the same final row.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { calls, contacts } from "@/db/schema";
import { type CallStatus, callerContact, recordCallEvent, upsertCall } from "@/voice/calls";
import { withDb } from "../support/db";
import { createTenant, unique } from "../support/fixtures";

type Step = { status: CallStatus; durationSeconds?: number; startedAt?: Date; recordingUrl?: string };

async function applyAll(organizationId: string, providerCallId: string, steps: Step[]) {
  return withDb(async (db) => {
    for (const step of steps) {
      await upsertCall(db, { organizationId, provider: "twilio", providerCallId, direction: "inbound", ...step });
    }
    const [row] = await db.select().from(calls).where(eq(calls.providerCallId, providerCallId));
    return row;
  });
}

describe("calls", () => {
  const steps: Step[] = [
    { status: "queued", startedAt: new Date("2026-12-01T10:00:00Z") },
    { status: "ringing" },
    { status: "in-progress", recordingUrl: "https://api.twilio.com/rec/RE1" },
    { status: "completed", durationSeconds: 42 },
  ];

  it("moves status only forward, whatever order the callbacks arrive in", async () => {
    const tenant = await createTenant();
    const inOrder = await applyAll(tenant.organizationId, unique("CA"), steps);
    const reversed = await applyAll(tenant.organizationId, unique("CA"), [...steps].reverse());
    const twice = await applyAll(tenant.organizationId, unique("CA"), [...steps, ...steps.slice(0, 2)]);
    for (const row of [inOrder, reversed, twice]) {
      expect(row).toMatchObject({
        status: "completed",
        durationSeconds: 42,
        recordingUrl: "https://api.twilio.com/rec/RE1",
        startedAt: new Date("2026-12-01T10:00:00Z"),
      });
    }
  });

  it("records a callback once and says whether it was new", async () => {
    const tenant = await createTenant();
    const row = await applyAll(tenant.organizationId, unique("CA"), steps.slice(0, 1));
    if (!row) throw new Error("no call");
    const event = {
      organizationId: tenant.organizationId,
      callId: row.id,
      kind: "status.ringing",
      key: "seq:1",
      payload: {},
    };
    const [first, second] = await withDb(async (db) => [
      await recordCallEvent(db, event),
      await recordCallEvent(db, event),
    ]);
    expect([first, second]).toEqual([true, false]);
  });

  it("finds one contact for a Brazilian mobile with or without its ninth digit", async () => {
    const tenant = await createTenant();
    const [a, b, none] = await withDb(async (db) => [
      await callerContact(db, tenant.organizationId, "+5511987654321"),
      await callerContact(db, tenant.organizationId, "+551187654321"),
      await callerContact(db, tenant.organizationId, "client:agent_ana"),
    ]);
    expect(a).toBeTruthy();
    expect(b).toBe(a);
    expect(none).toBeNull();
    const [contact] = await withDb((db) =>
      db
        .select()
        .from(contacts)
        .where(eq(contacts.id, a as string)),
    );
    expect(contact?.phone).toBe("+5511987654321");
  });
});
