import { describe, expect, it } from "vitest";
import { createTenant, unique } from "../support/fixtures";
import { call } from "../support/http";
import { createChannel, fakeRequests, scriptFake } from "../support/provider";
import { contentSid } from "../support/twilio";
import { challengeRow, codeOf, otpAudit, PHONE, smsTenant } from "./support";

async function cloudApiTenant() {
  const tenant = await createTenant();
  const phoneNumberId = unique("pn");
  const config = { phoneNumberId, accessToken: "EAAG-test", appSecret: unique("secret"), verifyToken: "v" };
  const channel = await createChannel(tenant.token, { type: "whatsapp_meta", config });
  const request = (json: Record<string, unknown>) =>
    call("/api/otp", { token: tenant.token, json: { phone: PHONE, purpose: "login", channel: "whatsapp", ...json } });
  return { tenant, channel, request, graph: `/meta/v21.0/${phoneNumberId}/` };
}

const useTemplate = (token: string, json: Record<string, unknown>) =>
  call("/api/otp/settings", { method: "PATCH", token, json });

describe("one-time codes over WhatsApp", () => {
  it("sends the organization's authentication template on the Cloud API, the code in its body and copy-code button", async () => {
    const wa = await cloudApiTenant();
    const unset = await wa.request({});
    expect(unset.status, unset.text).toBe(422);
    expect(unset.body.detail).toContain("whatsappTemplate");

    const set = await useTemplate(wa.tenant.token, {
      whatsappTemplate: "codigo_acesso",
      whatsappTemplateLanguage: "pt_BR",
    });
    expect(set.status, set.text).toBe(200);
    const created = await wa.request({});
    expect(created.status, created.text).toBe(201);
    expect(created.body.channelId).toBe(wa.channel.id);

    const [request, ...more] = await fakeRequests(wa.graph);
    expect(more).toHaveLength(0);
    const code = codeOf(request?.body ?? "");
    expect(JSON.parse(request?.body ?? "{}")).toEqual({
      messaging_product: "whatsapp",
      recipient_type: "individual",
      to: "5511987654321",
      type: "template",
      template: {
        name: "codigo_acesso",
        language: { code: "pt_BR" },
        components: [
          { type: "body", parameters: [{ type: "text", text: code }] },
          { type: "button", sub_type: "url", index: "0", parameters: [{ type: "text", text: code }] },
        ],
      },
    });
    expect(await challengeRow(created.body.id)).toMatchObject({
      channel: "whatsapp",
      sendStatus: "sent",
      codeSealed: null,
    });
    const verified = await call("/api/otp/verify", { token: wa.tenant.token, json: { id: created.body.id, code } });
    expect(verified.body).toEqual({ status: "approved" });
  });

  it("sends the template by Content SID through a Twilio WhatsApp sender", async () => {
    const otp = await smsTenant({ phoneNumber: "whatsapp:+14155238886" });
    const sid = contentSid();
    await useTemplate(otp.tenant.token, { whatsappTemplate: sid });
    const created = await otp.request({ phone: PHONE, purpose: "login", channel: "whatsapp" });
    expect(created.status, created.text).toBe(201);
    const [sent] = await fakeRequests(otp.prefix);
    const form = new URLSearchParams(sent?.body);
    expect(form.get("To")).toBe(`whatsapp:${PHONE}`);
    expect(form.get("ContentSid")).toBe(sid);
    const { 1: code } = JSON.parse(form.get("ContentVariables") ?? "{}") as { 1: string };
    expect(code).toMatch(/^\d{6}$/);
    expect((await otp.verify({ id: created.body.id, code })).body).toEqual({ status: "approved" });
  });

  it("records a send the provider refuses as failed, erases the sealed code, and never retries it", async () => {
    const wa = await cloudApiTenant();
    await useTemplate(wa.tenant.token, { whatsappTemplate: "nao_aprovado" });
    await scriptFake(wa.graph, [
      { status: 404, body: { error: { message: "Template name does not exist in the translation", code: 132001 } } },
    ]);
    const created = await wa.request({});
    expect(created.status).toBe(201);
    const row = await challengeRow(created.body.id);
    expect(row).toMatchObject({ sendStatus: "failed", codeSealed: null, sendAttempts: 1 });
    expect(row?.sendError).toContain("Template name does not exist");
    const sent = (await otpAudit(wa.tenant.organizationId)).find((a) => a.action === "otp.sent");
    expect(sent?.metadata).toMatchObject({ outcome: "failed" });
    expect(await fakeRequests(wa.graph)).toHaveLength(1);
  });
});
