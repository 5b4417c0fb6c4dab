import { z } from "@hono/zod-openapi";
import { auditFromContext } from "@/audit/context";
import { metadata } from "@/contacts/schemas";
import { messageDirections } from "@/db/schema";
import { dispatch } from "@/jobs/dispatch";
import type { QueuedJob } from "@/jobs/outbox";
import { fullView, listView, resourceView, revealQuery } from "@/pii/policy";
import type { App } from "@/platform/api-app";
import { protectedRoute } from "@/platform/auth";
import { idempotent } from "@/platform/idempotency";
import { idParam, jsonBody, jsonContent } from "@/platform/openapi";
import { decodeCursor, idCursor, pageQuery, pageSchema, toPage } from "@/platform/pagination";
import { callStatuses } from "@/voice/calls";
import { queueCall } from "./place";
import { callDetailSchema, callSchema, dateRange, instant, presentCall, presentCallDetail } from "./schemas";
import { getCall, listCalls } from "./service";

const placeBody = z
  .object({
    channelId: z.uuid().openapi({ description: "A twilio_voice or retell channel." }),
    to: z
      .string()
      .trim()
      .min(1)
      .max(40)
      .openapi({ example: "+5511987654321", description: "Any common format; dialed as E.164." }),
    agentId: z.string().trim().min(1).max(200).optional().openapi({
      description:
        "twilio_voice: the user (id) the answered call is connected to, at their Twilio Client identity (their user id). retell: the Retell agent (override_agent_id), by its id in /api/retell/agents or Retell's agent_id; default: the channel's defaultAgentId, then the number's agent.",
    }),
    record: z
      .boolean()
      .default(false)
      .openapi({ description: "Twilio: a dual-channel recording (customer and agent apart)." }),
    machineDetection: z.boolean().default(false).openapi({
      description: "Twilio: answering machine detection (MachineDetection=Enable); a machine is hung up on.",
    }),
    metadata: metadata.optional().openapi({ description: "Kept on the call; sent to Retell as the call's metadata." }),
  })
  .openapi("PlaceCall");

const place = protectedRoute({
  method: "post",
  path: "/api/calls",
  tags: ["calls"],
  summary: "Place an outbound call",
  description:
    "Answers 202 with the call `queued`; the call.place job dials it (Twilio's Calls API with the channel's least recently used caller ID, or Retell's create-phone-call). Send `Idempotency-Key` to make retries safe: the same key and body within 24 h replay the first answer, another body with the key is a 422. Refused with 409 problem+json when the number is blocked (`code: BLOCKED_NUMBER`), the contact opted out (`code: OPTED_OUT`) or the channel is inactive (`CONFLICT`); 422 when `to` cannot be dialed or the channel is not a voice channel that dials; 404 for a channel or agent that is not the organization's. With SANDBOX=true nothing is dialed: the call ends `canceled` with `simulated: true`.",
  request: {
    headers: z.object({ "idempotency-key": z.string().max(255).optional() }),
    body: jsonBody(placeBody),
  },
  responses: { 202: jsonContent(callSchema, "Queued for dialing.") },
});

const list = protectedRoute({
  method: "get",
  path: "/api/calls",
  tags: ["calls"],
  summary: "List calls",
  description:
    "Newest first. `from` is inclusive and `to` exclusive, on when the call started; a bare date `to` includes that whole day (UTC). `agentId` is a user's id or a voice agent's. Phone numbers (and any in summaries and metadata) are masked unless `reveal=true` (admins and supervisors, audited).",
  request: {
    query: pageQuery.extend({
      status: z.enum(callStatuses).optional(),
      direction: z.enum(messageDirections).optional(),
      channelId: z.uuid().optional(),
      provider: z.string().trim().min(1).max(40).optional().openapi({ example: "twilio" }),
      contactId: z.uuid().optional(),
      agentId: z.string().trim().min(1).max(200).optional(),
      from: instant.optional(),
      to: instant.optional(),
      reveal: revealQuery,
    }),
  },
  responses: { 200: jsonContent(pageSchema(callSchema, "CallPage"), "A page of calls.") },
});

const get = protectedRoute({
  method: "get",
  path: "/api/calls/{id}",
  tags: ["calls"],
  summary: "A call with its transcript, analysis, recording and events",
  description:
    "Personal data in full for admins, supervisors and the agent on the call (or assigned the contact's ticket); masked for other agents.",
  request: { params: idParam },
  responses: { 200: jsonContent(callDetailSchema, "The call.") },
});

export function registerCallRoutes(app: App) {
  app.openapi(place, async (c) => {
    const services = c.var.services;
    const body = c.req.valid("json");
    let jobs: QueuedJob[] = [];
    const { result, replayed } = await idempotent(c, { body }, async (tx) => {
      const queued = await queueCall(tx, c.var.principal, body);
      jobs = queued.jobs;
      await auditFromContext(
        c,
        {
          action: "call.placed",
          targetType: "call",
          targetId: queued.call.id,
          metadata: { channelId: body.channelId },
        },
        tx,
      );
      // The caller typed the number: the answer shows it back.
      return {
        status: 202,
        body: presentCall({ call: queued.call, contact: queued.contact, simulated: false }, fullView),
      };
    });
    if (jobs.length) services.waitUntil(dispatch(services, jobs));
    if (replayed) c.header("idempotent-replayed", "true");
    return c.json(result.body, 202);
  });

  app.openapi(list, async (c) => {
    const { limit, cursor, from, to, reveal, ...filters } = c.req.valid("query");
    const after = decodeCursor(cursor, idCursor)?.id;
    const pii = await listView(c, { name: "calls", reveal, filters: { ...filters, from, to } });
    const rows = await listCalls(
      c.var.services.db,
      c.var.principal.organizationId,
      { ...filters, ...dateRange(from, to) },
      { limit, after },
    );
    return c.json(
      toPage(
        rows,
        limit,
        (r) => ({ id: r.call.id }),
        (r) => presentCall(r, pii),
      ),
      200,
    );
  });

  app.openapi(get, async (c) => {
    const row = await getCall(c.var.services.db, c.var.principal.organizationId, c.req.valid("param").id);
    const pii = await resourceView(c, { contactId: row.call.contactId, assigneeId: row.call.agentId });
    return c.json(presentCallDetail(row, pii), 200);
  });
}
