// Channels made through the channel API and deliveries posted to the gateway the way the
// provider posts them, for any provider with a driver.
import { createTenant, type Tenant } from "../fixtures";
import { call } from "../http";
import { createChannel } from "../provider";
import { type Delivery, type DriverChannel, encode, type ProviderDriver, type Signed } from "./driver";

export type ChannelUnderTest = DriverChannel & { tenant: Tenant };

export async function openChannel(type: string, driver: ProviderDriver): Promise<ChannelUnderTest> {
  const tenant = await createTenant();
  const config = driver.config();
  const channel = await createChannel(tenant.token, { type, config });
  return { id: channel.id, config, webhookUrls: channel.webhookUrls, tenant };
}

/** The routes the provider posts to: the webhookUrls that are URLs (the rest are tokens to paste). */
export const webhookRoutes = (channel: DriverChannel) =>
  Object.entries(channel.webhookUrls)
    .filter(([, value]) => /^https?:\/\//.test(value))
    .map(([route]) => route);

/** The path of a route; with `channelId`, the same path for another channel id. */
export function routePath(channel: DriverChannel, route: string, channelId = channel.id): string {
  const url = channel.webhookUrls[route];
  if (!url) throw new Error(`the channel API gave no webhook URL "${route}": ${JSON.stringify(channel.webhookUrls)}`);
  return new URL(url).pathname.replace(channel.id, channelId);
}

export type DeliverOptions = { channelId?: string; env?: Record<string, unknown> };

/** Posts an already signed (or forged) delivery. */
export function post(driver: ProviderDriver, signed: Signed, body: string, env?: Record<string, unknown>) {
  const contentType = driver.encoding === "json" ? "application/json" : "application/x-www-form-urlencoded";
  return call(signed.path, { method: "POST", body, env, headers: { "content-type": contentType, ...signed.headers } });
}

/** Posts a delivery authenticated as the provider would. */
export async function deliver(
  driver: ProviderDriver,
  channel: DriverChannel,
  delivery: Delivery,
  options: DeliverOptions = {},
) {
  const body = encode(driver, delivery.body);
  const signed = await driver.sign(channel, routePath(channel, delivery.route, options.channelId), body);
  return post(driver, signed, body, options.env);
}
