// A twilio_voice line under test: the channel, Twilio's requests to its URLs shaped as Twilio
// sends them and signed by the twilio package itself, and TwiML read back verb by verb.
import { and, eq, sql } from "drizzle-orm";
import { XMLParser } from "fast-xml-parser";
import { getExpectedTwilioSignature } from "twilio/lib/webhooks/webhooks";
import { inject } from "vitest";
import { callEvents, calls, contacts, outbox, ticketHistory, tickets } from "@/db/schema";
import type { VoiceRoute } from "@/voice/twilio/urls";
import { withDb } from "./db";
import { createTenant, type Tenant, unique } from "./fixtures";
import { type CallOptions, call } from "./http";
import { createChannel } from "./provider";
import { accountSid, PUBLIC_URL } from "./twilio";

const hex32 = () =>
  Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
export const sidOf = (prefix: string) => `${prefix}${hex32()}`;

export const LINE_NUMBER = "+551140041234";
export const CALLER = "+5511987654321";

export type Line = Awaited<ReturnType<typeof voiceLine>>;

/** An organization with a twilio_voice channel (always open unless `config` says otherwise). */
export async function voiceLine(config: Record<string, unknown> = {}, options: { tenant?: Tenant } = {}) {
  const tenant = options.tenant ?? (await createTenant());
  const account = accountSid();
  const authToken = unique("voice-token");
  const full = {
    accountSid: account,
    authToken,
    phoneNumbers: [LINE_NUMBER],
    workspaceSid: sidOf("WS"),
    workflowSid: sidOf("WW"),
    greeting: "Olá! Esta ligação pode ser gravada.",
    ...config,
  };
  const channel = await createChannel(tenant.token, { type: "twilio_voice", config: full });
  const post = (route: VoiceRoute, params: Record<string, string>, options: PostOptions = {}) =>
    postVoice(channel.id, route, authToken, params, options);
  return { tenant, channel, account, authToken, config: full, post };
}

export type PostOptions = CallOptions & {
  /** Query string Switchboard put on the URL (signed with the rest). */
  query?: Record<string, string>;
  /** null sends no signature; a string sends that one. */
  signature?: string | null;
  /** The URL to sign instead of the one called. */
  signedUrl?: string;
};

/** A POST from Twilio to one of the channel's URLs, signed with twilio's own getExpectedTwilioSignature. */
export async function postVoice(
  channelId: string,
  route: VoiceRoute,
  authToken: string,
  params: Record<string, string>,
  options: PostOptions = {},
) {
  const search = options.query ? `?${new URLSearchParams(options.query)}` : "";
  const path = `/webhooks/twilio/${channelId}/${route}${search}`;
  const signature =
    options.signature !== undefined
      ? options.signature
      : getExpectedTwilioSignature(authToken, options.signedUrl ?? `${PUBLIC_URL}${path}`, params);
  return call(path, {
    ...options,
    method: "POST",
    body: new URLSearchParams(params).toString(),
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      ...(signature === null ? {} : { "x-twilio-signature": signature }),
      ...options.headers,
    },
  });
}

/** The parameters of an incoming call, as Twilio posts them to the voice URL. */
export function incomingCall(account: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    AccountSid: account,
    ApiVersion: "2010-04-01",
    CallSid: sidOf("CA"),
    CallStatus: "ringing",
    Called: LINE_NUMBER,
    CalledCountry: "BR",
    Caller: CALLER,
    CallerCountry: "BR",
    Direction: "inbound",
    From: CALLER,
    FromCountry: "BR",
    To: LINE_NUMBER,
    ToCountry: "BR",
    ...overrides,
  };
}

/** A status callback of a call (SequenceNumber counts a call's callbacks from 0). */
export function statusCallback(
  account: string,
  callSid: string,
  status: string,
  sequence: number,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    AccountSid: account,
    ApiVersion: "2010-04-01",
    CallSid: callSid,
    CallStatus: status,
    CallbackSource: "call-progress-events",
    Direction: "inbound",
    From: CALLER,
    To: LINE_NUMBER,
    SequenceNumber: String(sequence),
    Timestamp: new Date().toUTCString(),
    ...(status === "completed" ? { CallDuration: "95", Duration: "2" } : {}),
    ...extra,
  };
}

/** A recording status callback; the URL points at the Twilio fake (where the job downloads it). */
export function recordingCallback(
  account: string,
  callSid: string,
  recordingSid: string,
  status: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    AccountSid: account,
    CallSid: callSid,
    RecordingSid: recordingSid,
    RecordingUrl: recordingUrl(account, recordingSid),
    RecordingStatus: status,
    RecordingChannels: "2",
    RecordingSource: "StartCallRecordingAPI",
    RecordingStartTime: new Date().toUTCString(),
    ...(status === "completed" ? { RecordingDuration: "42" } : {}),
    ...extra,
  };
}

export const recordingUrl = (account: string, recordingSid: string) =>
  `${inject("fakesUrl")}/twilio/2010-04-01/Accounts/${account}/Recordings/${recordingSid}`;

/** TaskRouter's assignment callback for a task <Enqueue> created. */
export function assignmentCallback(
  line: { account: string; config: { workspaceSid: string; workflowSid: string } },
  task: Record<string, unknown>,
  worker: Record<string, unknown> = { contact_uri: "+5511955554444", email: "ana@example.com", friendly_name: "Ana" },
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    AccountSid: line.account,
    WorkspaceSid: line.config.workspaceSid,
    WorkflowSid: line.config.workflowSid,
    TaskQueueSid: sidOf("WQ"),
    TaskSid: sidOf("WT"),
    TaskAttributes: JSON.stringify(task),
    TaskAge: "12",
    TaskPriority: "0",
    WorkerSid: sidOf("WK"),
    WorkerAttributes: JSON.stringify(worker),
    ReservationSid: sidOf("WR"),
    Timestamp: String(Math.floor(Date.now() / 1000)),
    ...overrides,
  };
}

export type Verb = { name: string; attrs: Record<string, string>; text: string; children: Verb[] };

type Node = Record<string, unknown> & { ":@"?: Record<string, string> };

function verbsOf(nodes: Node[]): Verb[] {
  const verbs: Verb[] = [];
  for (const node of nodes) {
    const name = Object.keys(node).find((k) => k !== ":@");
    if (!name || name === "#text" || name === "?xml") continue;
    const inner = (node[name] as Node[]) ?? [];
    verbs.push({
      name,
      attrs: node[":@"] ?? {},
      text: inner
        .filter((n) => "#text" in n)
        .map((n) => String(n["#text"]))
        .join(""),
      children: verbsOf(inner),
    });
  }
  return verbs;
}

/** The verbs of a TwiML <Response>, in order, with attributes, text and nested nouns. */
export function twimlVerbs(xml: string): Verb[] {
  const parser = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: "",
    parseAttributeValue: false,
    parseTagValue: false,
    trimValues: true,
  });
  const doc = parser.parse(xml) as Node[];
  const response = doc.find((n) => "Response" in n);
  if (!response) throw new Error(`not TwiML: ${xml}`);
  return verbsOf((response.Response as Node[]) ?? []);
}

/** The call Twilio knows by `callSid`, as stored. */
export const storedCall = (callSid: string) =>
  withDb(async (db) => (await db.select().from(calls).where(eq(calls.providerCallId, callSid)))[0]);

export const eventsOf = (callId: string) =>
  withDb((db) => db.select().from(callEvents).where(eq(callEvents.callId, callId)).orderBy(callEvents.id));

/** What an organization has stored of calls, contacts, tickets and jobs: refusals leave all unchanged. */
export const voiceCounts = (organizationId: string) =>
  withDb(async (db) => {
    const count = <T>(table: T, column: unknown) =>
      sql<number>`(select count(*)::int from ${table} where ${column} = ${organizationId})`;
    const [row] = await db
      .select({
        calls: count(calls, calls.organizationId),
        events: count(callEvents, callEvents.organizationId),
        contacts: count(contacts, contacts.organizationId),
        tickets: count(tickets, tickets.organizationId),
        jobs: count(outbox, outbox.organizationId),
      })
      .from(sql`(select 1) as one`);
    if (!row) throw new Error("no counts");
    return row;
  });

/** The organization's tickets with their history, oldest first. */
export const ticketsWithHistory = (organizationId: string) =>
  withDb(async (db) => {
    const rows = await db.select().from(tickets).where(eq(tickets.organizationId, organizationId)).orderBy(tickets.id);
    const history = await db
      .select()
      .from(ticketHistory)
      .where(eq(ticketHistory.organizationId, organizationId))
      .orderBy(ticketHistory.id);
    return rows.map((t) => ({ ...t, history: history.filter((h) => h.ticketId === t.id) }));
  });

/** The outbox rows of one job name for an organization. */
export const jobsNamed = (organizationId: string, name: string) =>
  withDb((db) =>
    db
      .select()
      .from(outbox)
      .where(and(eq(outbox.organizationId, organizationId), eq(outbox.name, name)))
      .orderBy(outbox.id),
  );
