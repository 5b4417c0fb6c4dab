// npm run bench (its voice part; alone: node scripts/bench-voice.ts): how long Twilio waits for
// the /voice TwiML of a new caller, next to the ingest figure of the same run.
//
//   ingest       a signed Meta webhook from a new customer (a new contact and ticket), answered
//   /voice       a signed incoming call from a new caller: blocklist, contact, call, call.started,
//                the caller's open ticket, business hours, then the TwiML (<Enqueue> with the task)
//   /assignment  TaskRouter's assignment callback for that call, answered with the dequeue
//
// One request at a time, alternating, after a warm-up; the gateway runs under `wrangler dev` on a
// fresh database of the machine's PostgreSQL (BENCH_DATABASE_URL). Twilio gives a voice URL 15 s
// (connect 5 s); TaskRouter's deadline for an assignment answer is shorter (unconfirmed: see README).
import { createHmac, randomBytes } from "node:crypto";
import { benchDatabase, benchOrganization, metaWebhook, startGateway } from "./bench-support.ts";

const rounds = Number(process.env.BENCH_VOICE_CALLS ?? 100);

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};
const ms = (v: number) => `${v.toFixed(1).padStart(7)} ms`;
const hex = (bytes: number) => randomBytes(bytes).toString("hex");

/** Twilio's signature: base64 HMAC-SHA1 of the URL and the parameters sorted by name. */
function twilioSigned(authToken: string, url: string, params: Record<string, string>) {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + params[key], url);
  return {
    body: new URLSearchParams(params).toString(),
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "x-twilio-signature": createHmac("sha1", authToken).update(data).digest("base64"),
    },
  };
}

const newCustomerMessage = (phoneNumberId: string, appSecret: string, from: string) =>
  metaWebhook({ phoneNumberId, appSecret, from, id: `wamid.${hex(8)}`, text: "Olá" });

async function timed(url: string, init: { body: string; headers: Record<string, string> }) {
  const t0 = performance.now();
  const response = await fetch(url, { method: "POST", ...init });
  const text = await response.text();
  const elapsed = performance.now() - t0;
  if (!response.ok) throw new Error(`${url}: ${response.status} ${text.slice(0, 300)}`);
  return { elapsed, text };
}

const database = await benchDatabase("switchboard_bench_voice");
const started = await startGateway(database.url);
const gateway = started.url;
try {
  const org = await benchOrganization(gateway, "Voice", "400500600");
  const authToken = hex(16);
  const sid = (prefix: string) => `${prefix}${hex(16)}`;
  const workspaceSid = sid("WS");
  const created = await fetch(`${gateway}/api/channels`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${org.token}` },
    body: JSON.stringify({
      type: "twilio_voice",
      name: "Central",
      config: {
        accountSid: sid("AC"),
        authToken,
        phoneNumbers: ["+551140041234"],
        workspaceSid,
        workflowSid: sid("WW"),
        greeting: "Olá! Esta ligação pode ser gravada.",
        businessHours: {
          timezone: "America/Sao_Paulo",
          // Open every day, all day: the check runs, the caller is queued.
          ranges: [0, 1, 2, 3, 4, 5, 6].map((day) => ({ day, start: "00:00", end: "00:00" })),
        },
      },
    }),
  });
  const channel = (await created.json()) as { id: string };
  if (created.status !== 201) throw new Error(`voice channel: ${created.status} ${JSON.stringify(channel)}`);
  const voiceUrl = `${gateway}/webhooks/twilio/${channel.id}/voice`;
  const assignmentUrl = `${gateway}/webhooks/twilio/${channel.id}/assignment`;

  const ingest: number[] = [];
  const voice: number[] = [];
  const assignment: number[] = [];
  for (let i = 0; i < rounds + 10; i++) {
    const caller = `+55119${String(20_000_000 + i).padStart(8, "0")}`;
    const a = await timed(
      `${gateway}/webhooks/meta/${org.channelId}`,
      newCustomerMessage("400500600", org.appSecret, caller.slice(1)),
    );
    const callSid = sid("CA");
    const call = {
      AccountSid: sid("AC"),
      ApiVersion: "2010-04-01",
      CallSid: callSid,
      CallStatus: "ringing",
      Direction: "inbound",
      From: `+55219${String(20_000_000 + i).padStart(8, "0")}`,
      To: "+551140041234",
    };
    const b = await timed(voiceUrl, twilioSigned(authToken, voiceUrl, call));
    if (!b.text.includes("<Enqueue")) throw new Error(`no <Enqueue> in ${b.text}`);
    const task = JSON.parse(/<Task>(.*)<\/Task>/.exec(b.text)?.[1]?.replaceAll("&quot;", '"') ?? "{}");
    const c = await timed(
      assignmentUrl,
      twilioSigned(authToken, assignmentUrl, {
        WorkspaceSid: workspaceSid,
        TaskSid: sid("WT"),
        TaskAttributes: JSON.stringify({ ...task, call_sid: callSid }),
        WorkerSid: sid("WK"),
        WorkerAttributes: JSON.stringify({ contact_uri: "+5511955554444", email: "agente@example.com" }),
        ReservationSid: sid("WR"),
      }),
    );
    if (!c.text.includes('"dequeue"')) throw new Error(`no dequeue in ${c.text}`);
    if (i < 10) continue; // warm-up
    ingest.push(a.elapsed);
    voice.push(b.elapsed);
    assignment.push(c.elapsed);
  }
  const line = (label: string, values: number[]) =>
    console.log(`  ${label.padEnd(52)} p50 ${ms(percentile(values, 50))}   p99 ${ms(percentile(values, 99))}`);
  console.log(`\nvoice (Twilio): one request at a time, a new caller each, ${rounds} calls`);
  line("ingest: Meta webhook, new customer (the ingest figure)", ingest);
  line("/voice: incoming call answered with <Enqueue> TwiML", voice);
  line("/assignment: TaskRouter answered with dequeue", assignment);
  console.log(
    `  ratio /voice to ingest ${(percentile(voice, 50) / percentile(ingest, 50)).toFixed(2)} p50, ${(percentile(voice, 99) / percentile(ingest, 99)).toFixed(2)} p99; /voice p99 is ${((percentile(voice, 99) / 15_000) * 100).toFixed(2)}% of Twilio's 15 s`,
  );
} finally {
  started.child.kill("SIGTERM");
  await new Promise((r) => setTimeout(r, 1000));
  await database.drop();
}
