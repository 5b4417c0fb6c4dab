import { and, eq } from "drizzle-orm";
import type { Context } from "hono";
import * as z from "zod";
import { cachedChannel } from "@/channels/cache";
import { customWebhooks, interactionEvents, organizations } from "@/db/schema";
import { dispatch } from "@/jobs/dispatch";
import { enqueue } from "@/jobs/outbox";
import { eventJob } from "@/notify/job";
import { hasEventsWebhook } from "@/notify/settings";
import type { AppEnv } from "@/platform/app";
import { sha256Hex } from "@/platform/crypto";
import { problemResponse } from "@/platform/errors";
import { enforceRateLimit } from "@/platform/request";
import type { Services } from "@/platform/services";
import { cleanDeep } from "@/platform/text";
import { verifyTimestampedHmac } from "@/webhooks/timestamped-hmac";
import { contactReference, linkedContact } from "./contact";
import { type CustomWebhookRow, openHookSecret } from "./service";

/** Smaller than provider webhooks: the body also travels whole in the events webhook's job. */
const MAX_BODY_BYTES = 256 * 1024;
const TOLERANCE_SECONDS = 5 * 60;
const MAX_KEY_LENGTH = 200;
const HEADER_KEY = /^[\x21-\x7e]{1,255}$/;
const uuid = z.uuid();

type Ctx = Context<AppEnv>;
type Hook = { row: CustomWebhookRow; notify: boolean; secret: string };

/** The hook with its secret opened, cached per isolate like channels (rotation and deletion clear it). */
async function loadHook(services: Services, organizationId: string, hookId: string): Promise<Hook | undefined> {
  return cachedChannel(`custom-webhook:${organizationId}:${hookId}`, async () => {
    const [found] = await services.db
      .select({ row: customWebhooks, settings: organizations.settings })
      .from(customWebhooks)
      .innerJoin(organizations, eq(organizations.id, customWebhooks.organizationId))
      .where(and(eq(customWebhooks.id, hookId), eq(customWebhooks.organizationId, organizationId)));
    if (!found) return undefined;
    return {
      row: found.row,
      notify: hasEventsWebhook(found.settings),
      secret: await openHookSecret(services.env, found.row),
    };
  });
}

/**
 * The sender's identity of the event: its `Idempotency-Key` header, else the body's `id`, else
 * the body itself (an identical body is the same event). Scoped by the hook, so two senders'
 * "id": 1 are two events.
 */
async function idempotencyKey(header: string | undefined, body: Record<string, unknown>, rawBody: string) {
  const id = body.id;
  const key =
    header ??
    (typeof id === "string" && id.trim()
      ? id
      : typeof id === "number" && Number.isFinite(id)
        ? String(id)
        : undefined) ??
    `sha256:${await sha256Hex(rawBody)}`;
  return key.length > MAX_KEY_LENGTH ? `sha256:${await sha256Hex(key)}` : key;
}

/**
 * POST /webhooks/custom/<organizationId>/<hookId>: size, hook, rate limit, `X-Switchboard-Signature`
 * over the raw body, then one transaction: the body as an interaction event under its idempotency
 * key, linked to the contact it names (so the contact's timeline shows it) and, for an
 * organization with an events webhook, a `custom.received` event. Refusals (404, 401, 413, 429,
 * 400) store nothing; a duplicate stores nothing new and answers the first event's id.
 */
export async function handleCustomWebhook(c: Ctx) {
  const services = c.var.services;
  const { env, log, requestId } = services;
  const organizationId = c.req.param("organizationId") ?? "";
  const hookId = c.req.param("hookId") ?? "";
  const notFound = () => problemResponse("NOT_FOUND", "No such webhook.", { requestId });
  const tooLarge = () => problemResponse("PAYLOAD_TOO_LARGE", "Bodies are limited to 256 KiB.", { requestId });
  if (!uuid.safeParse(organizationId).success || !uuid.safeParse(hookId).success) return notFound();
  if (Number(c.req.header("content-length") ?? 0) > MAX_BODY_BYTES) return tooLarge();
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.byteLength > MAX_BODY_BYTES) return tooLarge();
  const hook = await loadHook(services, organizationId, hookId);
  if (!hook) return notFound();
  const logger = log.child({ provider: "custom", hookId, organizationId });
  await enforceRateLimit(c, "webhook", hookId, { limit: env.WEBHOOK_RATE_LIMIT_PER_MINUTE, windowSeconds: 60 });

  const rawBody = new TextDecoder().decode(bytes);
  const signature = c.req.header("x-switchboard-signature");
  const options = { scheme: "v1", toleranceSeconds: TOLERANCE_SECONDS, now: services.now() };
  if (!(await verifyTimestampedHmac(hook.secret, signature, rawBody, options))) {
    logger.warn("custom webhook signature rejected");
    return problemResponse("UNAUTHORIZED", "The X-Switchboard-Signature is missing, stale or invalid.", { requestId });
  }
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    return problemResponse("BAD_REQUEST", "The body is not JSON.", { requestId });
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    return problemResponse("BAD_REQUEST", "The body must be a JSON object.", { requestId });
  }
  const header = c.req.header("idempotency-key");
  if (header !== undefined && !HEADER_KEY.test(header)) {
    return problemResponse("BAD_REQUEST", "Idempotency-Key must be 1-255 visible ASCII characters.", { requestId });
  }
  const payload = cleanDeep(json as Record<string, unknown>);
  const key = await idempotencyKey(header, payload, rawBody);
  const stored = await storeCustomEvent(services, hook, key, payload);
  logger.info("custom webhook stored", { eventId: stored.id, duplicate: stored.duplicate });
  return c.json({ status: stored.duplicate ? "duplicate" : "stored", id: stored.id }, 200);
}

async function storeCustomEvent(services: Services, hook: Hook, key: string, payload: Record<string, unknown>) {
  const { row } = hook;
  const scopedKey = `${row.id}:${key}`;
  const label =
    typeof payload.event === "string" ? payload.event : typeof payload.type === "string" ? payload.type : null;
  const result = await services.db.transaction(async (tx) => {
    const [stored] = await tx
      .insert(interactionEvents)
      .values({
        organizationId: row.organizationId,
        provider: "custom",
        eventType: "custom.received",
        idempotencyKey: scopedKey,
        payload,
        normalized: { hookId: row.id, hookName: row.name, idempotencyKey: key, event: label },
        reference: row.id,
        processedAt: new Date(),
      })
      .onConflictDoNothing({ target: [interactionEvents.provider, interactionEvents.idempotencyKey] })
      .returning({ id: interactionEvents.id });
    if (!stored) {
      const [first] = await tx
        .select({ id: interactionEvents.id })
        .from(interactionEvents)
        .where(and(eq(interactionEvents.provider, "custom"), eq(interactionEvents.idempotencyKey, scopedKey)));
      return { id: first?.id ?? null, duplicate: true, jobs: [] };
    }
    // Only a new event links (or creates) a contact: a duplicate changes nothing.
    const contactId = await linkedContact(tx, row.organizationId, contactReference(payload));
    if (contactId) await tx.update(interactionEvents).set({ contactId }).where(eq(interactionEvents.id, stored.id));
    await tx.update(customWebhooks).set({ lastReceivedAt: new Date() }).where(eq(customWebhooks.id, row.id));
    const data = {
      hookId: row.id,
      hookName: row.name,
      eventId: stored.id,
      idempotencyKey: key,
      event: label,
      contactId,
      payload,
    };
    const jobs = hook.notify ? [eventJob(row.organizationId, "custom.received", data, stored.id)] : [];
    return { id: stored.id, duplicate: false, jobs: await enqueue(tx, jobs) };
  });
  if (result.jobs.length) services.waitUntil(dispatch(services, result.jobs));
  return result;
}
