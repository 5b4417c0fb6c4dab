// A ready conversation: an organization, a Meta channel and a customer's open ticket.
import { eq } from "drizzle-orm";
import { messages, outbox } from "@/db/schema";
import { withDb } from "./db";
import { createTenant, unique } from "./fixtures";
import { call } from "./http";
import { metaMessagePayload, postMeta } from "./meta";
import { createChannel } from "./provider";

export async function conversation(options: { env?: Record<string, unknown>; from?: string; queueId?: string } = {}) {
  const tenant = await createTenant();
  const phoneNumberId = unique("pn");
  const config = { phoneNumberId, accessToken: "EAAG-test", appSecret: unique("secret"), verifyToken: "v" };
  const channel = await createChannel(tenant.token, { type: "whatsapp_meta", config, queueId: options.queueId });
  const inbound = await postMeta(
    channel.id,
    config.appSecret,
    metaMessagePayload(phoneNumberId, { type: "text", text: { body: "Oi!" }, from: options.from ?? "5511987654321" }),
    { env: options.env },
  );
  if (inbound.status !== 200) throw new Error(`inbound failed: ${inbound.status} ${inbound.text}`);
  const list = await call(`/api/tickets?channelId=${channel.id}`, { token: tenant.token });
  const ticket = list.body.data[0] as { id: string; number: number; contact: { id: string } };
  return { tenant, channel, config, phoneNumberId, ticket, graphPrefix: `/meta/v21.0/${phoneNumberId}/` };
}

export const messageRow = (id: string) =>
  withDb(async (db) => (await db.select().from(messages).where(eq(messages.id, id)))[0]);

export const jobsOf = (organizationId: string) =>
  withDb((db) => db.select().from(outbox).where(eq(outbox.organizationId, organizationId)).orderBy(outbox.id));

/** Makes every job of the organization due now, as if its backoff had elapsed. */
export const makeDue = (organizationId: string) =>
  withDb((db) =>
    db
      .update(outbox)
      .set({ nextAttemptAt: new Date(Date.now() - 1000) })
      .where(eq(outbox.organizationId, organizationId)),
  );
