// Custom inbound webhooks in tests: a hook of the tenant's, and bodies signed like an external
// system signs them (`X-Switchboard-Signature: t=<unix>,v1=<HMAC of "t.body">`).
import { expect } from "vitest";
import type { Tenant } from "./fixtures";
import { call } from "./http";
import { hmacHex } from "./provider";

export async function signCustom(secret: string, body: string, at = Date.now()) {
  const t = Math.floor(at / 1000);
  return `t=${t},v1=${await hmacHex(secret, `${t}.${body}`)}`;
}

export type PostOptions = {
  secret?: string;
  signature?: string | null;
  headers?: Record<string, string>;
  signedAt?: number;
};

/** A new hook of the tenant's organization, and a poster of (signed) bodies to it. */
export async function customHook(tenant: Pick<Tenant, "token">, name = "CRM") {
  const created = await call("/api/custom-webhooks", { token: tenant.token, json: { name } });
  expect(created.status, created.text).toBe(201);
  const hook = created.body as { id: string; url: string; secret: string; name: string };
  const path = new URL(hook.url).pathname;
  const post = async (payload: unknown, options: PostOptions = {}) => {
    const body = typeof payload === "string" ? payload : JSON.stringify(payload);
    const signature =
      options.signature === undefined
        ? await signCustom(options.secret ?? hook.secret, body, options.signedAt)
        : options.signature;
    return call(path, {
      method: "POST",
      body,
      headers: {
        "content-type": "application/json",
        ...(signature === null ? {} : { "x-switchboard-signature": signature }),
        ...options.headers,
      },
    });
  };
  return { hook, path, post };
}
