// What the webhook contract suite (test/webhooks/contract.test.ts) needs to know about one
// provider: how to configure a channel, how the provider authenticates a delivery, and the
// bodies it sends. Everything else (which routes exist, what a delivery must do) the suite
// takes from the channel API and asserts the same way for every provider.

/** A channel as the channel API created it. */
export type DriverChannel = {
  id: string;
  config: Record<string, string>;
  /** What the channel API returned: the URLs the provider calls, and any token to paste. */
  webhookUrls: Record<string, string>;
};

/** A JSON value, or form parameters; a string is sent as it is. */
export type Body = unknown;

/** A body for one webhook route, named by its key in the channel's webhookUrls. */
export type Delivery = { route: string; body: Body };

/** Where and with which headers a delivery goes. */
export type Signed = { path: string; headers: Record<string, string> };

export interface ProviderDriver {
  /** How bodies go over the wire. */
  readonly encoding: "json" | "form";
  /** The config of a new channel, unique per call: the provider fakes are scoped by it. */
  config(): Record<string, string>;
  /** Headers (and path) with which the provider delivers the encoded `body` to `path`. */
  sign(channel: DriverChannel, path: string, body: string): Promise<Signed>;
  /** The same delivery with its authentication wrong in each way it can be (`other`: another channel). */
  forge(channel: DriverChannel, path: string, body: string, other: DriverChannel): Promise<Signed[]>;
  /** A customer's text message, from a phone where the provider has phones. */
  text(channel: DriverChannel, text: string): Delivery;
  /** A delivery status for one of the channel's outbound messages, where the provider sends them. */
  delivered?(channel: DriverChannel, providerMessageId: string): Delivery;
  /** Bodies that are not the provider's format; each must be refused with 400. */
  malformed(channel: DriverChannel): Delivery[];
  /** One valid body of every kind the provider sends, to every route: where the fuzz drill starts. */
  samples(channel: DriverChannel): Delivery[];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export function encode(driver: Pick<ProviderDriver, "encoding">, body: Body): string {
  if (typeof body === "string") return body;
  if (driver.encoding === "json" || !isRecord(body)) return JSON.stringify(body);
  return new URLSearchParams(Object.entries(body).map(([key, value]) => [key, String(value)])).toString();
}
