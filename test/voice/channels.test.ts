// Voice channels are channels for the API like messaging ones: credentials validated by their own
// schema, sealed, never returned; webhook URLs to paste into Twilio, TaskRouter, Retell, ElevenLabs.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { openCredentials } from "@/channels/secrets";
import { channels } from "@/db/schema";
import { parseEnv } from "@/platform/env";
import { withDb } from "../support/db";
import { testEnv } from "../support/env";
import { createTenant } from "../support/fixtures";
import { call } from "../support/http";

const PUBLIC_URL = "http://localhost:8787";
const SID = "0123456789abcdef0123456789abcdef";

const valid = {
  twilio_voice: {
    accountSid: `AC${SID}`,
    authToken: "voice-auth-token",
    phoneNumbers: ["+5511987654321", "+551140041234"],
    workspaceSid: `WS${SID}`,
    workflowSid: `WW${SID}`,
    greeting: "Olá! Esta ligação pode ser gravada.",
    businessHours: { timezone: "America/Sao_Paulo", ranges: [{ day: 1, start: "09:00", end: "18:00" }] },
    voicemail: true,
  },
  retell: { apiKey: "key_retell_test", fromNumber: "+14155550100", defaultAgentId: "agent_1" },
  elevenlabs: { webhookSecret: "wsec_elevenlabs_test_secret" },
};

describe("voice channels", () => {
  it.each(Object.entries(valid))(
    "creates a %s channel with sealed credentials and its webhook URLs",
    async (type, config) => {
      const tenant = await createTenant();
      const created = await call("/api/channels", { token: tenant.token, json: { type, name: type, config } });
      expect(created.status, created.text).toBe(201);
      for (const secret of ["voice-auth-token", "key_retell_test", "wsec_elevenlabs_test_secret"]) {
        expect(created.text).not.toContain(secret);
      }
      const id = created.body.id;
      const base = `${PUBLIC_URL}/webhooks`;
      const urls = {
        twilio_voice: {
          voice: `${base}/twilio/${id}/voice`,
          status: `${base}/twilio/${id}/voice-status`,
          recording: `${base}/twilio/${id}/recording-status`,
          assignment: `${base}/twilio/${id}/assignment`,
          wait: `${base}/twilio/${id}/wait`,
        },
        retell: { webhook: `${base}/retell/${id}` },
        elevenlabs: { webhook: `${base}/elevenlabs/${id}` },
      }[type];
      expect(created.body.webhookUrls).toEqual(urls);
      expect(Object.values(created.body.configured).some(Boolean)).toBe(true);
      const row = await withDb(async (db) => (await db.select().from(channels).where(eq(channels.id, id)))[0]);
      if (!row) throw new Error("no row");
      const stored = await openCredentials(parseEnv(testEnv()), row);
      expect(stored).toMatchObject(config);
    },
  );

  it("applies the twilio_voice defaults (pt-BR, voicemail on)", async () => {
    const tenant = await createTenant();
    const { accountSid, authToken, phoneNumbers } = valid.twilio_voice;
    const created = await call("/api/channels", {
      token: tenant.token,
      json: { type: "twilio_voice", name: "Central", config: { accountSid, authToken, phoneNumbers } },
    });
    expect(created.status, created.text).toBe(201);
    const row = await withDb(
      async (db) => (await db.select().from(channels).where(eq(channels.id, created.body.id)))[0],
    );
    if (!row) throw new Error("no row");
    expect(await openCredentials(parseEnv(testEnv()), row)).toMatchObject({ language: "pt-BR", voicemail: true });
  });

  it("refuses a twilio_voice config with a number that is not E.164, naming the field", async () => {
    const tenant = await createTenant();
    const created = await call("/api/channels", {
      token: tenant.token,
      json: { type: "twilio_voice", name: "x", config: { ...valid.twilio_voice, phoneNumbers: ["011 98765-4321"] } },
    });
    expect(created.status, created.text).toBe(400);
    expect(created.headers.get("content-type")).toContain("application/problem+json");
    expect(JSON.stringify(created.body.errors)).toContain("phoneNumbers");
  });
});
