// Every critical action leaves exactly one audit entry that says who did it, from where, in which
// request, to what, and what changed, without a secret anywhere in it.
import { describe, expect, it } from "vitest";
import { createMember, createTenant, PASSWORD, type Tenant, unique } from "../support/fixtures";
import { call } from "../support/http";
import { createChannel } from "../support/provider";
import { conversation } from "../support/scenario";
import { type AuditEntry, auditEntries, origin } from "./support";

type Outcome = {
  /** The organization whose log holds the entry, read with its admin's token. */
  tenant: Tenant;
  action: string;
  requestId: string;
  ip: string;
  actor: { type: string; id: string | null };
  target?: { type: string; id?: string };
  /** Values that must appear nowhere in the entry. */
  secrets: string[];
  /** What the entry's diff must hold. */
  diff?: Record<string, unknown>;
  check?: (entry: AuditEntry) => void;
};

const META = () => ({
  phoneNumberId: unique("pn"),
  accessToken: unique("EAAG-secret-"),
  appSecret: unique("app-secret-"),
  verifyToken: unique("verify-"),
});

const scenarios: [string, () => Promise<Outcome>][] = [
  [
    "a sign-in",
    async () => {
      const tenant = await createTenant();
      const member = await createMember(tenant, "agent");
      const o = origin();
      const res = await call("/api/auth/login", {
        json: { email: member.email, password: PASSWORD },
        headers: o.headers,
      });
      expect(res.status, res.text).toBe(200);
      return {
        tenant,
        action: "auth.login",
        ...o,
        actor: { type: "user", id: member.userId },
        target: { type: "user", id: member.userId },
        secrets: [PASSWORD, res.body.token],
      };
    },
  ],
  [
    "a failed sign-in (recorded in the account's organization, the actor anonymous)",
    async () => {
      const tenant = await createTenant();
      const member = await createMember(tenant, "agent");
      const o = origin();
      const wrong = "not-the-password-at-all";
      const res = await call("/api/auth/login", { json: { email: member.email, password: wrong }, headers: o.headers });
      expect(res.status, res.text).toBe(401);
      return {
        tenant,
        action: "auth.login_failed",
        ...o,
        actor: { type: "anonymous", id: null },
        target: { type: "user", id: member.userId },
        secrets: [wrong, member.email],
        check: (entry) => expect(entry.metadata).toEqual({ reason: "wrong_password" }),
      };
    },
  ],
  [
    "an API key created",
    async () => {
      const tenant = await createTenant();
      const o = origin();
      const res = await call("/api/api-keys", {
        token: tenant.token,
        json: { name: "CRM", role: "agent" },
        headers: o.headers,
      });
      expect(res.status, res.text).toBe(201);
      return {
        tenant,
        action: "api_key.created",
        ...o,
        actor: { type: "user", id: tenant.userId },
        target: { type: "api_key", id: res.body.id },
        secrets: [res.body.key],
        diff: { name: { before: null, after: "CRM" }, role: { before: null, after: "agent" } },
      };
    },
  ],
  [
    "an API key revoked (by an API key)",
    async () => {
      const tenant = await createTenant();
      const key = await call("/api/api-keys", { token: tenant.token, json: { name: "old" } });
      const o = origin();
      const res = await call(`/api/api-keys/${key.body.id}`, {
        method: "DELETE",
        token: tenant.apiKey,
        headers: o.headers,
      });
      expect(res.status, res.text).toBe(204);
      const actor = await call("/api/auth/me", { token: tenant.apiKey });
      return {
        tenant,
        action: "api_key.revoked",
        ...o,
        actor: { type: "api_key", id: actor.body.principal.id },
        target: { type: "api_key", id: key.body.id },
        secrets: [key.body.key, tenant.apiKey],
      };
    },
  ],
  [
    "channel credentials changed",
    async () => {
      const tenant = await createTenant();
      const first = META();
      const channel = await createChannel(tenant.token, { type: "whatsapp_meta", config: first });
      const o = origin();
      const next = unique("EAAG-rotated-");
      const number = unique("pn-moved-");
      const res = await call(`/api/channels/${channel.id}`, {
        method: "PATCH",
        token: tenant.token,
        json: { config: { accessToken: next, phoneNumberId: number } },
        headers: o.headers,
      });
      expect(res.status, res.text).toBe(200);
      return {
        tenant,
        action: "channel.credentials_changed",
        ...o,
        actor: { type: "user", id: tenant.userId },
        target: { type: "channel", id: channel.id },
        secrets: [first.accessToken, first.appSecret, first.verifyToken, next, first.phoneNumberId, number],
        // Which credentials changed, never their values (any config field, whatever its name); the
        // others did not change and are not listed.
        diff: {
          "config.accessToken": { before: "[redacted]", after: "[redacted]" },
          "config.phoneNumberId": { before: "[redacted]", after: "[redacted]" },
        },
        check: (entry) =>
          expect(Object.keys(entry.diff ?? {}).sort()).toEqual(["config.accessToken", "config.phoneNumberId"]),
      };
    },
  ],
  [
    "a user invited",
    async () => {
      const tenant = await createTenant();
      const o = origin();
      const email = `${unique("invitee")}@example.com`;
      const res = await call("/api/users", {
        token: tenant.token,
        json: { email, name: "Ivo", role: "supervisor" },
        headers: o.headers,
      });
      expect(res.status, res.text).toBe(201);
      return {
        tenant,
        action: "user.invited",
        ...o,
        actor: { type: "user", id: tenant.userId },
        target: { type: "user", id: res.body.user.id },
        // The invitation token is a credential; the e-mail is kept masked.
        secrets: [res.body.inviteToken, email],
        diff: { role: { before: null, after: "supervisor" }, name: { before: null, after: "Ivo" } },
      };
    },
  ],
  [
    "a role changed",
    async () => {
      const tenant = await createTenant();
      const member = await createMember(tenant, "agent");
      const o = origin();
      const res = await call(`/api/users/${member.userId}`, {
        method: "PATCH",
        token: tenant.token,
        json: { role: "supervisor" },
        headers: o.headers,
      });
      expect(res.status, res.text).toBe(200);
      return {
        tenant,
        action: "user.role_changed",
        ...o,
        actor: { type: "user", id: tenant.userId },
        target: { type: "user", id: member.userId },
        secrets: [],
        diff: { role: { before: "agent", after: "supervisor" } },
      };
    },
  ],
  [
    "a ticket transferred",
    async () => {
      const { tenant, ticket } = await conversation();
      const queue = await call("/api/queues", { token: tenant.token, json: { name: unique("Cobrança ") } });
      const o = origin();
      const res = await call(`/api/tickets/${ticket.id}/transfer`, {
        token: tenant.token,
        json: { queueId: queue.body.id },
        headers: o.headers,
      });
      expect(res.status, res.text).toBe(200);
      return {
        tenant,
        action: "ticket.transferred",
        ...o,
        actor: { type: "user", id: tenant.userId },
        target: { type: "ticket", id: ticket.id },
        secrets: [],
        diff: { queueId: { before: null, after: queue.body.id } },
      };
    },
  ],
  [
    "contacts merged",
    async () => {
      const tenant = await createTenant();
      const primary = await call("/api/contacts", { token: tenant.token, json: { name: "Maria" } });
      const duplicate = await call("/api/contacts", {
        token: tenant.token,
        json: { name: "Maria S.", phone: "+5511987650001", email: "maria@example.com" },
      });
      const o = origin();
      const res = await call(`/api/contacts/${primary.body.id}/merge`, {
        token: tenant.token,
        json: { duplicateId: duplicate.body.id },
        headers: o.headers,
      });
      expect(res.status, res.text).toBe(200);
      return {
        tenant,
        action: "contact.merged",
        ...o,
        actor: { type: "user", id: tenant.userId },
        target: { type: "contact", id: primary.body.id },
        // Phones and e-mails in a diff are masked like in logs.
        secrets: ["+5511987650001", "maria@example.com"],
        diff: {
          phone: { before: null, after: "+55*******0001" },
          email: { before: null, after: "m***@example.com" },
        },
        check: (entry) => expect(entry.metadata.duplicateId).toBe(duplicate.body.id),
      };
    },
  ],
  [
    "phones revealed on a list",
    async () => {
      const tenant = await createTenant();
      await call("/api/contacts", { token: tenant.token, json: { name: "Rita", phone: "+5511987650002" } });
      const o = origin();
      const res = await call("/api/contacts?reveal=true&q=5511987650002", { token: tenant.token, headers: o.headers });
      expect(res.status, res.text).toBe(200);
      expect(res.body.data[0].phone).toBe("+5511987650002");
      return {
        tenant,
        action: "pii.revealed",
        ...o,
        actor: { type: "user", id: tenant.userId },
        target: { type: "list", id: "contacts" },
        // The list and its filters, never the values shown (nor a phone typed as a filter).
        secrets: ["+5511987650002", "5511987650002"],
        check: (entry) => expect(entry.metadata).toEqual({ list: "contacts", filters: { q: "55*******0002" } }),
      };
    },
  ],
  [
    "an export",
    async () => {
      const tenant = await createTenant();
      const o = origin();
      const res = await call("/api/audit/export?action=user.*", { token: tenant.token, headers: o.headers });
      expect(res.status, res.text).toBe(200);
      return {
        tenant,
        action: "audit.exported",
        ...o,
        actor: { type: "user", id: tenant.userId },
        target: { type: "audit_log" },
        secrets: [],
        check: (entry) => expect(entry.metadata).toMatchObject({ format: "csv", filters: { action: "user.*" } }),
      };
    },
  ],
  [
    "a webhook event replayed",
    async () => {
      const { tenant, channel, config } = await conversation();
      const events = await call(`/api/webhook-events?channelId=${channel.id}`, { token: tenant.token });
      const id = events.body.data[0].id;
      const o = origin();
      const res = await call(`/api/webhook-events/${id}/replay`, {
        method: "POST",
        token: tenant.token,
        headers: o.headers,
      });
      expect(res.status, res.text).toBe(200);
      return {
        tenant,
        action: "webhook_event.replayed",
        ...o,
        actor: { type: "user", id: tenant.userId },
        target: { type: "webhook_event", id },
        secrets: [config.appSecret, config.accessToken],
        diff: { status: { before: "stored", after: "duplicate" } },
      };
    },
  ],
  [
    "integration settings changed",
    async () => {
      const tenant = await createTenant();
      const first = `https://hooks.slack.com/services/T0/B0/${unique("first")}`;
      await call("/api/integrations/slack", { method: "PUT", token: tenant.token, json: { webhookUrl: first } });
      const o = origin();
      const next = `https://hooks.slack.com/services/T0/B0/${unique("next")}`;
      const res = await call("/api/integrations/slack", {
        method: "PUT",
        token: tenant.token,
        json: { webhookUrl: next },
        headers: o.headers,
      });
      expect(res.status, res.text).toBe(200);
      return {
        tenant,
        action: "integration.configured",
        ...o,
        actor: { type: "user", id: tenant.userId },
        target: { type: "integration", id: "slack" },
        // Slack's webhook URL is the credential: redacted although its name says nothing of a secret.
        secrets: [first, next, "hooks.slack.com"],
        diff: { webhookUrl: { before: "[redacted]", after: "[redacted]" } },
      };
    },
  ],
  [
    "masking switched off for the organization",
    async () => {
      const tenant = await createTenant();
      const o = origin();
      const res = await call("/api/organization/privacy", {
        method: "PATCH",
        token: tenant.token,
        json: { piiMasking: false },
        headers: o.headers,
      });
      expect(res.status, res.text).toBe(200);
      return {
        tenant,
        action: "organization.pii_masking_changed",
        ...o,
        actor: { type: "user", id: tenant.userId },
        target: { type: "organization", id: tenant.organizationId },
        secrets: [],
        diff: { piiMasking: { before: null, after: false } },
      };
    },
  ],
];

describe("audit log of critical actions", () => {
  it.each(scenarios)("records %s once, with actor, IP, request id, target and no secret", async (_name, run) => {
    const outcome = await run();
    const entries = await auditEntries(outcome.tenant.token, { action: outcome.action });
    const mine = entries.filter((e) => e.requestId === outcome.requestId);
    expect(mine, JSON.stringify(entries)).toHaveLength(1);
    const entry = mine[0] as AuditEntry;
    expect(entry).toMatchObject({ action: outcome.action, ip: outcome.ip, actor: outcome.actor });
    if (outcome.target) {
      expect(entry.targetType).toBe(outcome.target.type);
      if (outcome.target.id) expect(entry.targetId).toBe(outcome.target.id);
    }
    if (outcome.diff) expect(entry.diff).toMatchObject(outcome.diff);
    const text = JSON.stringify(entry);
    for (const secret of outcome.secrets) expect(text, `"${secret}" is in ${text}`).not.toContain(secret);
    outcome.check?.(entry);
  });
});
