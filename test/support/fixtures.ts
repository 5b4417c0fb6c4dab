import { type CallOptions, call } from "./http";

let seq = 0;
/** Unique per test run and per call, so tests never collide in the shared database. */
export function unique(prefix = "t"): string {
  seq += 1;
  return `${prefix}${Date.now().toString(36)}${seq}${Math.random().toString(36).slice(2, 6)}`;
}

export function randomIp(): string {
  const b = () => Math.floor(Math.random() * 254) + 1;
  return `10.${b()}.${b()}.${b()}`;
}

export const PASSWORD = "correct horse battery staple";

export type Tenant = {
  organizationId: string;
  userId: string;
  email: string;
  token: string;
  apiKey: string;
};

/** Registers a fresh organization with its admin and an admin API key. */
export async function createTenant(options: Pick<CallOptions, "driver" | "env"> = {}): Promise<Tenant> {
  const email = `${unique("admin")}@example.com`;
  const registered = await call("/api/auth/register", {
    ...options,
    json: { organizationName: unique("Org "), name: "Ana Admin", email, password: PASSWORD },
    headers: { "cf-connecting-ip": randomIp() },
  });
  if (registered.status !== 201) throw new Error(`register failed: ${registered.status} ${registered.text}`);
  const token = registered.body.token as string;
  const key = await call("/api/api-keys", { ...options, token, json: { name: "test key" } });
  if (key.status !== 201) throw new Error(`api key failed: ${key.status} ${key.text}`);
  return {
    organizationId: registered.body.organization.id,
    userId: registered.body.user.id,
    email,
    token,
    apiKey: key.body.key,
  };
}
