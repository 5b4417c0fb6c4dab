import { describe, expect, it } from "vitest";
import { adapterFor, adapters, bindChannel, serviceWindowApplies, webhookRoutes } from "./registry";
import { channelTypes } from "./types";

describe("the adapter registry", () => {
  it("has one adapter per channel type, each under its own type", () => {
    expect(Object.keys(adapters).sort()).toEqual([...channelTypes].sort());
    for (const type of channelTypes) expect(adapterFor(type).type).toBe(type);
    expect(adapterFor("fax")).toBeUndefined();
  });

  it("lists every webhook route a provider calls, as Hono paths", () => {
    expect(webhookRoutes().map(({ type, method, path }) => ({ type, method, path }))).toEqual([
      { type: "whatsapp_meta", method: "POST", path: "/webhooks/meta/:channelId" },
      { type: "whatsapp_zapi", method: "POST", path: "/webhooks/zapi/:channelId/:secret" },
      { type: "whatsapp_builderbot", method: "POST", path: "/webhooks/builderbot/:channelId" },
      { type: "twilio_sms", method: "POST", path: "/webhooks/twilio/:channelId/sms" },
      { type: "twilio_sms", method: "POST", path: "/webhooks/twilio/:channelId/sms-status" },
      { type: "telegram", method: "POST", path: "/webhooks/telegram/:channelId" },
    ]);
  });
});

describe("bindChannel", () => {
  it("binds credentials that pass the adapter's schema, and tells what sending lacks", () => {
    const binding = bindChannel("twilio_sms", { authToken: "t" });
    expect(binding.ok).toBe(true);
    if (!binding.ok) return;
    expect(binding.channel.adapter).toBe(adapters.twilio_sms);
    expect(binding.channel.missingSendFields()).toEqual(["accountSid", "phoneNumber"]);
    expect(binding.channel.serviceWindow()).toBe(false);
    expect(serviceWindowApplies("twilio_sms", { authToken: "t", phoneNumber: "whatsapp:+14155238886" })).toBe(true);
    expect(serviceWindowApplies("twilio_sms", { phoneNumber: "whatsapp:+14155238886" })).toBe(false);
  });

  it("refuses credentials the adapter's schema rejects, naming the fields", () => {
    expect(bindChannel("whatsapp_meta", { phoneNumberId: "1" })).toEqual({
      ok: false,
      code: "credentials_invalid",
      message: "the channel's stored whatsapp_meta credentials are invalid (appSecret, verifyToken): edit the channel",
    });
    expect(bindChannel("telegram", { botToken: "not a token" })).toMatchObject({
      ok: false,
      code: "credentials_invalid",
    });
    expect(bindChannel("fax", {})).toMatchObject({ ok: false, code: "unknown_channel_type" });
  });
});
