// npm run bench: ingest throughput of the gateway against a baseline Worker, in the same run.
//
// Both Workers run in workerd under `wrangler dev` on the machine's PostgreSQL (BENCH_DATABASE_URL,
// default postgres://postgres@127.0.0.1:5432/test; a fresh database is created and dropped).
// autocannon fires signed WhatsApp (Meta) webhooks at the gateway in two workloads, and the same
// bodies at the baseline, which only inserts the raw body into one table:
//   returning customers  each message from one of 200 customers with an open ticket (fast path)
//   new conversations    each message from a customer never seen before (a new contact and ticket)
// Both pairs of Workers run twice: with direct connections (a new PostgreSQL backend per request)
// and through PgBouncer in transaction mode, the way production's pooled connection string runs
// (skipped where pgbouncer is not installed).
// Each workload runs baseline, gateway, gateway, baseline (10 s each, BENCH_SECONDS), BENCH_ROUNDS
// times (default 1; more rounds give each round's ratio and their median, for a noisy machine).
// Printed: requests/s, p50/p99 latency, and the gateway/baseline ratios.
// The gateway names its webhook statements (src/db/prepared.ts) on direct connections and through
// a PgBouncer that keeps them (1.21+; PGBOUNCER=<binary>, see scripts/pgbouncer-debian13.sh); there
// a third pair compares a gateway that names them with one that does not (`-- named`: that alone).
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import autocannon from "autocannon";
import pg from "pg";
import {
  benchDatabase,
  benchOrganization,
  freePort,
  metaWebhook,
  root,
  serverUrl,
  startGateway,
  startPooler,
  startWorker,
  waitFor,
  workerdCpuSeconds,
} from "./bench-support.ts";

const duration = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);
const rounds = Math.max(1, Math.floor(Number(process.env.BENCH_ROUNDS ?? 1)));

type Bodies = () => { body: string; headers: Record<string, string> };

async function run(url: string, bodies: Bodies) {
  const result = await autocannon({
    url,
    method: "POST",
    connections,
    duration,
    requests: [
      {
        setupRequest: (req: autocannon.Request) => {
          const { body, headers } = bodies();
          return { ...req, body, headers: { ...req.headers, ...headers } };
        },
      },
    ],
  });
  const failures = result.non2xx + result.errors + result.timeouts;
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    failures,
  };
}

type Result = Awaited<ReturnType<typeof run>> & { cpuMs?: number | null };

/** Two runs of one side as one: requests per second over both, the mean of their percentiles. */
function combine(runs: Result[]): Result {
  const mean = (pick: (r: Result) => number) => runs.reduce((sum, r) => sum + pick(r), 0) / runs.length;
  const cpu = runs.map((r) => r.cpuMs).filter((ms): ms is number => typeof ms === "number");
  return {
    rps: mean((r) => r.rps),
    p50: mean((r) => r.p50),
    p99: mean((r) => r.p99),
    total: runs.reduce((sum, r) => sum + r.total, 0),
    failures: runs.reduce((sum, r) => sum + r.failures, 0),
    cpuMs: cpu.length ? cpu.reduce((a, b) => a + b, 0) / cpu.length : null,
  };
}

/**
 * Signed Meta webhooks to one channel: returning customers cycle through 200 numbers, new ones
 * never repeat a number (counted from `firstFresh`, so two gateways on one database keep apart).
 */
function webhooksTo(channel: { phoneNumberId: string; appSecret: string; label: string; firstFresh: number }) {
  let n = 0;
  let fresh = 0;
  return (returning: boolean): Bodies =>
    () => {
      n += 1;
      const from = returning
        ? `55119${String(10_000_000 + (n % 200)).padStart(8, "0")}`
        : `55219${String(((channel.firstFresh - 10_000_000 + fresh++) % 89_999_999) + 10_000_000).padStart(8, "0")}`;
      return metaWebhook({
        phoneNumberId: channel.phoneNumberId,
        appSecret: channel.appSecret,
        from,
        id: `wamid.bench.${channel.label}.${Date.now()}.${n}`,
        text: `mensagem ${n}`,
        name: `Cliente ${n % 200}`,
      });
    };
}

/** BENCH_PREPARED=off: the gateway sends no named statements, to measure what they bring. */
const preparedWanted = process.env.BENCH_PREPARED !== "off";

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/** Both Workers on one connection string: warm-up, then each workload on the baseline and the gateway. */
async function measure(dbUrl: string, label: string, phoneNumberId: string, prepared: boolean) {
  const children: ChildProcess[] = [];
  try {
    // One at a time: a port picked for the second Worker could be taken by the first one's
    // internal sockets while it starts.
    const started = await startGateway(dbUrl, { DATABASE_PREPARED_STATEMENTS: prepared ? "on" : "off" });
    children.push(started.child);
    const gateway = started.url;
    const baselinePort = await freePort();
    children.push(startWorker(["--config", "bench/wrangler.baseline.toml"], baselinePort, { DATABASE_URL: dbUrl }));
    const baseline = `http://127.0.0.1:${baselinePort}`;
    await waitFor(baseline, children[1] as ChildProcess);

    const { channelId, appSecret } = await benchOrganization(gateway, `Bench ${label}`, phoneNumberId);

    const webhookFrom = webhooksTo({ phoneNumberId, appSecret, label, firstFresh: 10_000_000 });

    const returning = webhookFrom(true);
    const newcomers = webhookFrom(false);
    const webhookUrl = `${gateway}/webhooks/meta/${channelId}`;
    // Warm both isolates (and open the 200 returning customers' tickets), then measure; the order
    // alternates the load so neither runs only "cold".
    await run(`${baseline}/`, returning);
    await run(webhookUrl, returning);
    // The gateway's CPU per request: what Workers bill and the Free plan caps (10 ms an invocation).
    const cpuPerRequest = async (load: () => Promise<Result>): Promise<Result> => {
      const before = workerdCpuSeconds(started.child.pid);
      const result = await load();
      const after = workerdCpuSeconds(started.child.pid);
      const cpuMs = before === null || after === null ? null : ((after - before) * 1000) / Math.max(1, result.total);
      return { ...result, cpuMs };
    };
    // Baseline, gateway, gateway, baseline: whatever drifts on the machine during the four runs
    // (another process, the database growing) weighs on both sides alike.
    const abba = async (target: string, bodies: Bodies) => {
      const first = await run(`${baseline}/`, bodies);
      const gateway = [await cpuPerRequest(() => run(target, bodies)), await cpuPerRequest(() => run(target, bodies))];
      const second = await run(`${baseline}/`, bodies);
      return { base: [first, second], gateway, runs: [first, ...gateway, second] };
    };
    // Each round is both workloads' ABBA; the ratio over all rounds is of their summed runs.
    const ret: Awaited<ReturnType<typeof abba>>[] = [];
    const opening: Awaited<ReturnType<typeof abba>>[] = [];
    for (let round = 0; round < rounds; round++) {
      ret.push(await abba(webhookUrl, returning));
      opening.push(await abba(webhookUrl, newcomers));
    }
    const [base, ingest] = [combine(ret.flatMap((r) => r.base)), combine(ret.flatMap((r) => r.gateway))];
    const [baseNew, ingestNew] = [combine(opening.flatMap((r) => r.base)), combine(opening.flatMap((r) => r.gateway))];
    const ratios = (abbas: typeof ret) => abbas.map((r) => combine(r.gateway).rps / combine(r.base).rps);
    // The floor under both: a request that opens a connection and runs one query.
    const health = await cpuPerRequest(async () => {
      const result = await autocannon({ url: `${gateway}/api/health`, connections, duration: Math.min(duration, 5) });
      return {
        rps: result.requests.average,
        p50: result.latency.p50,
        p99: result.latency.p99,
        total: result.requests.total,
        failures: 0,
      };
    });
    return {
      base,
      ingest,
      baseNew,
      ingestNew,
      health,
      runs: { returning: ret.flatMap((r) => r.runs), fresh: opening.flatMap((r) => r.runs) },
      ratios: { returning: ratios(ret), fresh: ratios(opening) },
    };
  } finally {
    for (const child of children) child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/**
 * What named statements bring through a pooler that keeps them: two gateways on the same pooled
 * database, one naming the webhook's statements and one not, each with its own channel, in
 * unnamed, named, named, unnamed order for both workloads.
 */
async function measureNamed(dbUrl: string) {
  const children: ChildProcess[] = [];
  try {
    const sides: { url: string; next(returning: boolean): Bodies }[] = [];
    for (const [i, on] of [false, true].entries()) {
      const started = await startGateway(dbUrl, { DATABASE_PREPARED_STATEMENTS: on ? "on" : "off" });
      children.push(started.child);
      const phoneNumberId = `10020040${i}`;
      const { channelId, appSecret } = await benchOrganization(started.url, `Bench named ${on}`, phoneNumberId);
      sides.push({
        url: `${started.url}/webhooks/meta/${channelId}`,
        next: webhooksTo({ phoneNumberId, appSecret, label: `named.${i}`, firstFresh: 20_000_000 + i * 30_000_000 }),
      });
    }
    const [unnamed, named] = sides as [(typeof sides)[0], (typeof sides)[0]];
    for (const side of sides) await run(side.url, side.next(true)); // warm up, open the 200 tickets
    const abba = async (returning: boolean) => {
      const [a, b] = [unnamed.next(returning), named.next(returning)];
      const runs = [await run(unnamed.url, a), await run(named.url, b), await run(named.url, b)];
      runs.push(await run(unnamed.url, a));
      const [first, n1, n2, last] = runs as [Result, Result, Result, Result];
      return { unnamed: combine([first, last]), named: combine([n1, n2]), runs };
    };
    return { returning: await abba(true), fresh: await abba(false) };
  } finally {
    for (const child of children) child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function reportNamed(label: string, m: Awaited<ReturnType<typeof measureNamed>>) {
  console.log(`\n${label}`);
  for (const [name, r] of [
    ["returning customers", m.returning],
    ["new conversations", m.fresh],
  ] as const) {
    const rps = r.runs.map((x) => x.rps.toFixed(0)).join(", ");
    console.log(
      `  ${name.padEnd(20)} unnamed ${r.unnamed.rps.toFixed(0).padStart(4)} req/s, named ${r.named.rps.toFixed(0).padStart(4)} req/s: ` +
        `${(r.named.rps / r.unnamed.rps).toFixed(2)} throughput, ${(r.named.p99 / Math.max(1, r.unnamed.p99)).toFixed(2)} p99 (runs ${rps}; ${r.unnamed.failures + r.named.failures} failed)`,
    );
  }
}

function report(label: string, m: Awaited<ReturnType<typeof measure>>) {
  const fmt = (r: Result) =>
    `${r.rps.toFixed(0).padStart(8)} req/s   p50 ${r.p50.toFixed(0).padStart(4)} ms   p99 ${r.p99.toFixed(0).padStart(4)} ms   ${r.total} requests, ${r.failures} failed`;
  const ratio = (g: Result, b: Result) =>
    `${(g.rps / b.rps).toFixed(2)} throughput, ${(g.p50 / Math.max(1, b.p50)).toFixed(2)} p50, ${(g.p99 / Math.max(1, b.p99)).toFixed(2)} p99 latency`;
  const cpu = (r: Result) => (r.cpuMs == null ? "" : `   ${r.cpuMs.toFixed(2)} ms CPU each (workerd)`);
  console.log(`\n${label}`);
  console.log("returning customers (200 with open tickets)");
  console.log(`  baseline (insert raw body)   ${fmt(m.base)}`);
  console.log(`  gateway (Meta webhook)       ${fmt(m.ingest)}${cpu(m.ingest)}`);
  console.log(`  ratio gateway/baseline       ${ratio(m.ingest, m.base)}`);
  console.log("new conversations (a new customer per message)");
  console.log(`  baseline (insert raw body)   ${fmt(m.baseNew)}`);
  console.log(`  gateway (Meta webhook)       ${fmt(m.ingestNew)}${cpu(m.ingestNew)}`);
  console.log(`  ratio gateway/baseline       ${ratio(m.ingestNew, m.baseNew)}`);
  const list = (runs: Result[]) => runs.map((r) => r.rps.toFixed(0)).join(", ");
  console.log(
    `  (requests/s of each run, baseline, gateway, gateway, baseline: returning ${list(m.runs.returning)}; new ${list(m.runs.fresh)})`,
  );
  if (rounds > 1) {
    const each = (values: number[]) =>
      `${values.map((v) => v.toFixed(2)).join(", ")} (median ${median(values).toFixed(2)})`;
    console.log(`  throughput ratio of each round: returning ${each(m.ratios.returning)}; new ${each(m.ratios.fresh)}`);
  }
  if (m.health.cpuMs != null) {
    console.log(
      `CPU floor: GET /api/health (one connection, one query) ${m.health.cpuMs.toFixed(2)} ms each (workerd)`,
    );
  }
}

const database = await benchDatabase("switchboard_bench");
const dbUrl = database.url;
const pooler = await startPooler();
try {
  const setup = new pg.Client({ connectionString: dbUrl });
  await setup.connect();
  await setup.query(
    "create table bench_raw (id bigserial primary key, body jsonb not null, received_at timestamptz not null default now())",
  );
  await setup.end();

  console.log(`\nbenchmark: ${duration} s, ${connections} connections, PostgreSQL at ${new URL(serverUrl).host}`);
  // Each invocation opens its own connection. Straight to PostgreSQL, every request pays a new
  // backend (fork, authentication, empty catalog caches); through a pooler, as production's
  // pooled connection string, it gets a warm one.
  // Named statements as on Neon (DATABASE_PREPARED_STATEMENTS=auto): on a direct connection they
  // live as long as the request's backend; through the pooler only where it tracks them.
  const named = (on: boolean) => (on ? "named statements" : "unnamed statements");
  // `npm run bench -- named`: only the comparison of named and unnamed statements.
  const namedOnly = process.argv.includes("named");
  if (!namedOnly) {
    report(
      `direct connections (a new PostgreSQL backend per request; ${named(preparedWanted)})`,
      await measure(dbUrl, "direct", "100200300", preparedWanted),
    );
  }
  if (pooler && namedOnly && !pooler.tracksPrepared)
    throw new Error(`${pooler.version} does not keep named statements`);
  if (pooler && namedOnly) {
    reportNamed(
      `named against unnamed statements, both through ${pooler.version} (unnamed, named, named, unnamed)`,
      await measureNamed(pooler.url(dbUrl)),
    );
  } else if (pooler) {
    const on = preparedWanted && pooler.tracksPrepared;
    report(
      `through ${pooler.version} (transaction pooling, as Neon's -pooler host; ${named(on)})`,
      await measure(pooler.url(dbUrl), "pooled", "100200301", on),
    );
    if (pooler.tracksPrepared) {
      reportNamed(
        `named against unnamed statements, both through ${pooler.version} (unnamed, named, named, unnamed)`,
        await measureNamed(pooler.url(dbUrl)),
      );
    } else {
      console.log(
        `\n(${pooler.version} does not keep named statements, which Neon's pooler does: bash scripts/pgbouncer-debian13.sh fetches 1.24 once, and the next run takes it)`,
      );
    }
  } else {
    console.log("\n(pgbouncer is not installed: the pooled figures are left out; apt-get install pgbouncer)");
  }

  const stored = new pg.Client({ connectionString: dbUrl });
  await stored.connect();
  const { rows } = await stored.query(
    "select (select count(*) from messages)::int as messages, (select count(*) from tickets)::int as tickets",
  );
  await stored.end();
  console.log(`stored by the gateway: ${rows[0]?.messages} messages in ${rows[0]?.tickets} tickets`);
} finally {
  await pooler?.stop();
  await database.drop();
}

// `npm run bench -- ingest` (or `-- named`): the ingest pairs alone.
if (process.argv.includes("ingest") || process.argv.includes("named")) process.exit(0);

// The AI agent's figures (reply overhead, knowledge retrieval) against baselines of their own run.
const ai = spawn(process.execPath, [path.join(root, "scripts", "bench-ai.ts")], { stdio: "inherit" });
await new Promise((resolve) => ai.on("exit", resolve));
await new Promise((r) =>
  spawn(process.execPath, [path.join(root, "scripts", "bench-voice.ts")], { stdio: "inherit" }).on("exit", r),
);
// The SLA sweep: one cron run over 100,000 open tickets next to its bare indexed query.
await new Promise((resolve) =>
  spawn(process.execPath, [path.join(root, "scripts", "bench-sla.ts")], { stdio: "inherit" }).on("exit", resolve),
);

console.log("\nbundle sizes:");
const build = spawn(process.execPath, [path.join(root, "scripts", "build.ts")], { stdio: "inherit" });
await new Promise((resolve) => build.on("exit", resolve));
