// npm run bench:scale: the read API of a big organization against a small one, side by side.
//
// On the machine's PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test;
// a fresh database is created and dropped), two organizations are registered through the API and
// seeded by SQL (scripts/bench-scale-seed.ts): a big one (200,000 contacts and tickets, 2,000,000
// messages; BENCH_SCALE_TICKETS changes the size) and a small one (100 tickets), same shape. The
// gateway runs under `wrangler dev` and each read endpoint is asked BENCH_REQUESTS times (200) in
// each organization, one request at a time, alternating between the two. Printed: p50/p99 latency per
// endpoint and organization, and the big/small ratios (the goal: every one within 1.5x).
// BENCH_SCALE_KEEP=1 keeps the seeded database; BENCH_SCALE_DATABASE=<its name> measures it again
// without seeding; BENCH_SCALE_ONLY=<text> measures only the endpoints whose name contains it
// (with BENCH_REQUESTS=1000, a steadier p99 of one endpoint).
import type { ChildProcess } from "node:child_process";
import pg from "pg";
import { contactOf, protocolOf, seed } from "./bench-scale-seed.ts";
import {
  benchDatabase,
  benchOrganization,
  login,
  serverUrl,
  startGateway,
  workerdCpuSeconds,
} from "./bench-support.ts";

const requests = Number(process.env.BENCH_REQUESTS ?? 200);
const warmup = 10;
const bigSize = Number(process.env.BENCH_SCALE_TICKETS ?? 200_000);
const smallSize = 100;
const messagesPerTicket = 10;
const only = process.env.BENCH_SCALE_ONLY;

type Org = Awaited<ReturnType<typeof benchOrganization>> & { agentId: string; queueId: string; size: number };
type Measure = { p50: number; p99: number; failures: number };

const cursorOf = (id: string) => Buffer.from(JSON.stringify({ id })).toString("base64url");

/** The endpoints measured, as paths for an organization; `g` is a row in the middle of it. */
async function endpoints(db: pg.Client, org: Org): Promise<[name: string, path: string][]> {
  const g = Math.floor(org.size / 2) + 7;
  const { rows } = await db.query("select id from tickets where organization_id = $1 and number = $2", [
    org.organizationId,
    g,
  ]);
  const ticketId = rows[0]?.id as string;
  const { name, phone } = contactOf(g);
  const digits = phone.slice(-9); // the subscriber number with its ninth digit, without area or country code
  const national = `(${phone.slice(3, 5)}) ${phone.slice(5, 10)}-${phone.slice(10)}`;
  const yearAgo = new Date(Date.now() - 366 * 86400_000).toISOString();
  const q = encodeURIComponent;
  return [
    ["tickets, first page", "/api/tickets"],
    ["tickets, status=open", "/api/tickets?status=open"],
    ["tickets, agent + resolved", `/api/tickets?assigneeId=${org.agentId}&status=resolved`],
    ["tickets, queue", `/api/tickets?queueId=${org.queueId}`],
    ["tickets, cursor mid-way", `/api/tickets?cursor=${cursorOf(ticketId)}`],
    ["tickets, q=name", `/api/tickets?q=${q(name)}`],
    ["tickets, q=phone digits", `/api/tickets?q=${digits}`],
    ["tickets, q=common word", "/api/tickets?q=reembolso"],
    ["tickets, q=rare word", "/api/tickets?q=boleto"],
    ["tickets, q=protocol code", `/api/tickets?q=${protocolOf(g)}`],
    ["ticket detail", `/api/tickets/${ticketId}`],
    ["ticket messages", `/api/tickets/${ticketId}/messages`],
    ["contacts, first page", "/api/contacts"],
    ["contacts, q=name", `/api/contacts?q=${q(name)}`],
    ["contacts, q=first name", `/api/contacts?q=${q(name.split(" ")[0] ?? "")}`],
    ["contacts, q=phone digits", `/api/contacts?q=${digits}`],
    ["contacts, q=national number", `/api/contacts?q=${q(national)}`],
    ["stats, last 30 days", "/api/tickets/stats"],
    ["stats, last year", `/api/tickets/stats?from=${q(yearAgo)}`],
  ];
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;

/**
 * Latency of one endpoint in both organizations, one request at a time and alternating between
 * them: the machine is shared, so whatever else it is doing weighs on both sides alike.
 */
async function measure(urls: [string, string], tokens: [string, string]): Promise<[Measure, Measure]> {
  const samples: [number[], number[]] = [[], []];
  const failures = [0, 0];
  for (let i = 0; i < warmup + requests; i++) {
    for (const side of [0, 1] as const) {
      const started = performance.now();
      const response = await fetch(urls[side], { headers: { authorization: `Bearer ${tokens[side]}` } });
      await response.arrayBuffer();
      if (i >= warmup) samples[side].push(performance.now() - started);
      if (!response.ok) failures[side] = (failures[side] ?? 0) + 1;
    }
  }
  return [0, 1].map((side) => {
    const sorted = (samples[side] ?? []).sort((x, y) => x - y);
    return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), failures: failures[side] ?? 0 };
  }) as [Measure, Measure];
}

/** Registers both organizations and seeds them; notes what a later run needs to reuse the data. */
async function seeded(gateway: string, db: pg.Client): Promise<Org[]> {
  const started = Date.now();
  const registered = [
    { org: await benchOrganization(gateway, "Small", "100000001"), size: { tickets: smallSize, messagesPerTicket } },
    { org: await benchOrganization(gateway, "Big", "100000002"), size: { tickets: bigSize, messagesPerTicket } },
  ];
  const ids = await seed(db, registered);
  // A bulk load leaves no planner statistics and no visibility map; autovacuum would get there
  // within minutes on a live system, the benchmark does not wait for it.
  await db.query("vacuum analyze");
  const orgs = registered.map(({ org, size }, i) => {
    const { agentId, queueId } = ids[i] ?? { agentId: "", queueId: "" };
    return { ...org, agentId, queueId, size: size.tickets };
  });
  await db.query("create table bench_scale (organizations jsonb not null)");
  await db.query("insert into bench_scale values ($1)", [JSON.stringify(orgs)]);
  const { rows } = await db.query(
    `select (select count(*) from tickets)::int as tickets, (select count(*) from contacts)::int as contacts,
            (select count(*) from messages)::int as messages`,
  );
  console.log(
    `seeded ${rows[0]?.tickets} tickets, ${rows[0]?.contacts} contacts, ${rows[0]?.messages} messages in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  return orgs;
}

/** The organizations of a database an earlier run kept (BENCH_SCALE_KEEP=1), signed in again. */
async function reused(gateway: string, db: pg.Client): Promise<Org[]> {
  const { rows } = await db.query("select organizations from bench_scale");
  const orgs = (rows[0]?.organizations ?? []) as Org[];
  for (const org of orgs) org.token = await login(gateway, org.email);
  return orgs;
}

const reuse = process.env.BENCH_SCALE_DATABASE;
const database = reuse
  ? {
      name: reuse,
      url: Object.assign(new URL(serverUrl), { pathname: `/${reuse}` }).toString(),
      drop: async () => {},
      keep: async () => {},
    }
  : await benchDatabase("switchboard_bench_scale");
let gatewayChild: ChildProcess | undefined;
try {
  const gateway = await startGateway(database.url);
  gatewayChild = gateway.child;
  const db = new pg.Client({ connectionString: database.url });
  await db.connect();
  const [small, big] = (reuse ? await reused(gateway.url, db) : await seeded(gateway.url, db)) as [Org, Org];
  const paths = await Promise.all([endpoints(db, small), endpoints(db, big)]);
  await db.end();
  const rows: { name: string; small: Measure; big: Measure; found: number[]; cpuMs: number | null }[] = [];
  for (const [i, [name]] of paths[0].entries()) {
    if (only && !name.includes(only)) continue;
    const urls: [string, string] = [`${gateway.url}${paths[0][i]?.[1]}`, `${gateway.url}${paths[1][i]?.[1]}`];
    const found: number[] = [];
    for (const [j, org] of [small, big].entries()) {
      const first = await fetch(urls[j] ?? "", { headers: { authorization: `Bearer ${org.token}` } });
      const body = (await first.json()) as { data?: unknown[] };
      if (!first.ok) throw new Error(`${name}: ${first.status} ${JSON.stringify(body)}`);
      found.push(Array.isArray(body.data) ? body.data.length : 1);
    }
    const cpuBefore = workerdCpuSeconds(gateway.child.pid);
    const [s, b] = await measure(urls, [small.token, big.token]);
    const cpuAfter = workerdCpuSeconds(gateway.child.pid);
    const cpuMs =
      cpuBefore === null || cpuAfter === null ? null : ((cpuAfter - cpuBefore) * 1000) / (2 * (warmup + requests));
    rows.push({ name, small: s, big: b, found, cpuMs });
  }

  const ms = (v: number) => `${v.toFixed(1).padStart(6)} ms`;
  const ratio = (b: number, s: number) => (b / s).toFixed(2).padStart(5);
  console.log(
    `\nread API, ${requests} requests per figure and organization, one at a time, alternating; small: ${smallSize} tickets, big: ${bigSize} tickets, ${bigSize * messagesPerTicket} messages`,
  );
  console.log(
    `${"endpoint".padEnd(30)} ${"small p50".padStart(9)} ${"p99".padStart(8)}   ${"big p50".padStart(8)} ${"p99".padStart(8)}   ratio p50  p99   rows small/big  CPU/request`,
  );
  let worst = 0;
  let worstP99 = 0;
  for (const { name, small: s, big: b, found, cpuMs } of rows) {
    worst = Math.max(worst, b.p50 / s.p50);
    worstP99 = Math.max(worstP99, b.p99 / s.p99);
    const failed = s.failures + b.failures ? `  (${s.failures + b.failures} failed)` : "";
    console.log(
      `${name.padEnd(30)} ${ms(s.p50)} ${ms(s.p99)}   ${ms(b.p50)} ${ms(b.p99)}   ${ratio(b.p50, s.p50)} ${ratio(b.p99, s.p99)}   ${`${found[0]}/${found[1]}`.padEnd(14)} ${cpuMs === null ? "" : `${cpuMs.toFixed(1)} ms`}${failed}`,
    );
  }
  console.log(
    `worst p50 ratio: ${worst.toFixed(2)}, worst p99 ratio: ${worstP99.toFixed(2)} (goal: 1.5), PostgreSQL at ${new URL(serverUrl).host}`,
  );
} finally {
  gatewayChild?.kill("SIGTERM");
  await new Promise((r) => setTimeout(r, 1000));
  if (process.env.BENCH_SCALE_KEEP || reuse) {
    console.log(`kept: BENCH_SCALE_DATABASE=${database.name}`);
    await database.keep();
  } else await database.drop();
}
