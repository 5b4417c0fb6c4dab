// npm run bench (its SLA part; alone: node scripts/bench-sla.ts): one cron run over 100,000 open
// tickets, next to the bare indexed query that finds the due ones, in the same run.
//
// The gateway runs under `wrangler dev --test-scheduled` on a fresh database of the machine's
// PostgreSQL (BENCH_DATABASE_URL). One organization is registered through the API, then seeded
// by SQL: BENCH_SLA_TICKETS open tickets (default 100,000), BENCH_SLA_DUE of them (default 1,000)
// past their first-response due time, the others due hours ahead. Measured:
//   bare query   the sweep's candidate query alone (ids of the due tickets, keyset batches of 200
//                through tickets_sla_check_idx) over one open connection
//   cron run     GET /__scheduled: every task of a tick (outbox re-publish, assignment, SLA sweep,
//                daily summaries), the SLA sweep judging the due tickets and taking their breaches
//                (sla_events, in-app rows, ticket updates), HTTP and connection included
// Both with the due tickets (reset between runs) and with nothing due (the steady state).
import pg from "pg";
import { benchDatabase, benchOrganization, startGateway } from "./bench-support.ts";

const total = Number(process.env.BENCH_SLA_TICKETS ?? 100_000);
const due = Number(process.env.BENCH_SLA_DUE ?? 1_000);
const rounds = Number(process.env.BENCH_SLA_ROUNDS ?? 5);
const batch = 200;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};
const ms = (v: number) => `${v.toFixed(1).padStart(8)} ms`;
const progress = (step: string) => {
  if (process.env.BENCH_VERBOSE) console.error(`${new Date().toISOString()} ${step}`);
};

const database = await benchDatabase("switchboard_bench_sla");
const started = await startGateway(database.url, { SLA_SWEEP_BATCH_SIZE: String(batch) }, ["--test-scheduled"]);
const db = new pg.Client({ connectionString: database.url });
await db.connect();

try {
  const gateway = started.url;
  const org = await benchOrganization(gateway, "Bench SLA", "100200300");
  progress("organization registered; seeding");
  // Every ticket has its person (the registered admin): an unassigned backlog would have the
  // assignment sweep of the same tick try to hand out 200 tickets, which is not what is measured.
  const {
    rows: [{ id: userId }],
  } = await db.query("select id from users where organization_id = $1", [org.organizationId]);
  const seedStarted = performance.now();
  await db.query("set session_replication_role = replica").catch(() => undefined);
  const {
    rows: [queue],
  } = await db.query(
    `insert into queues (id, organization_id, name, sla_first_response_minutes, sla_resolution_minutes)
     values (gen_random_uuid(), $1, 'Suporte', 720, 2880) returning id`,
    [org.organizationId],
  );
  await db.query(
    `insert into contacts (id, organization_id, phone, name)
     select gen_random_uuid(), $1, '+55119' || lpad(g::text, 8, '0'), 'Cliente ' || g from generate_series(1, $2) g`,
    [org.organizationId, total],
  );
  // Row g <= due: opened 20 minutes ago with a 15-minute first response (warned and due already);
  // the others opened in the last ten minutes with twelve hours to answer.
  await db.query(
    `insert into tickets (id, organization_id, number, contact_id, channel_id, queue_id, assignee_id, status, created_at,
                          first_response_warn_at, first_response_due_at, resolution_warn_at, resolution_due_at,
                          sla_check_at, waiting_since, last_inbound_at, last_message_at)
     select gen_random_uuid(), $1, g, c.id, $2, $3, $6, 'open', t.opened,
            t.opened + t.first * 0.8, t.opened + t.first, t.opened + interval '38 hours', t.opened + interval '48 hours',
            t.opened + t.first * 0.8, t.opened, t.opened, t.opened
     from (select g, '+55119' || lpad(g::text, 8, '0') as phone,
                  case when g <= $4 then now() - interval '20 minutes' else now() - make_interval(secs => g % 600) end as opened,
                  case when g <= $4 then interval '15 minutes' else interval '12 hours' end as first
           from generate_series(1, $5) g) t
     join contacts c on c.organization_id = $1 and c.phone = t.phone`,
    [org.organizationId, org.channelId, queue.id, due, total, userId],
  );
  await db.query("reset session_replication_role");
  await db.query("vacuum analyze tickets");
  await db.query("vacuum analyze contacts");
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  progress(`seeded in ${seedSeconds.toFixed(0)} s`);

  // The sweep's candidate query, alone: every due id in keyset batches, as the sweep walks them.
  const bareQuery = async () => {
    const t0 = performance.now();
    let after: { at: string; id: string } | undefined;
    let found = 0;
    for (;;) {
      const { rows } = await db.query(
        `select id, sla_check_at::text as at from tickets
         where sla_check_at <= now() ${after ? "and (sla_check_at, id) > ($1::timestamptz, $2::uuid)" : ""}
         order by sla_check_at, id limit ${batch}`,
        after ? [after.at, after.id] : [],
      );
      found += rows.length;
      if (rows.length < batch) break;
      after = { at: rows.at(-1).at, id: rows.at(-1).id };
    }
    return { ms: performance.now() - t0, found };
  };
  const cronRun = async () => {
    const t0 = performance.now();
    const response = await fetch(`${gateway}/__scheduled`);
    await response.text();
    if (!response.ok) throw new Error(`/__scheduled: ${response.status}`);
    return performance.now() - t0;
  };
  const reset = async () => {
    await db.query("delete from notifications where organization_id = $1", [org.organizationId]);
    await db.query("delete from sla_events where organization_id = $1", [org.organizationId]);
    await db.query(
      `update tickets set sla_check_at = first_response_warn_at, first_response_breached_at = null
       where organization_id = $1 and number <= $2`,
      [org.organizationId, due],
    );
  };
  const { rows: plan } = await db.query(
    "explain select id from tickets where sla_check_at <= now() order by sla_check_at, id limit 200",
  );

  await cronRun(); // warm the isolate
  await reset();
  const busyQuery: number[] = [];
  const busyRun: number[] = [];
  let alerts = 0;
  for (let i = 0; i < rounds; i++) {
    const query = await bareQuery();
    if (query.found !== due) throw new Error(`expected ${due} due tickets, found ${query.found}`);
    busyQuery.push(query.ms);
    busyRun.push(await cronRun());
    progress(`busy round ${i}: query ${busyQuery.at(-1)?.toFixed(0)} ms, run ${busyRun.at(-1)?.toFixed(0)} ms`);
    const { rows } = await db.query("select count(*)::int as n from sla_events where organization_id = $1", [
      org.organizationId,
    ]);
    alerts = rows[0].n;
    if (alerts !== due) throw new Error(`expected ${due} breaches taken, got ${alerts}`);
    await reset();
  }
  await cronRun(); // take the breaches for good: the steady state has nothing due
  const idleQuery: number[] = [];
  const idleRun: number[] = [];
  for (let i = 0; i < rounds * 2; i++) {
    idleQuery.push((await bareQuery()).ms);
    idleRun.push(await cronRun());
  }

  console.log(
    `\nSLA sweep: ${total.toLocaleString("en")} open tickets (seeded in ${seedSeconds.toFixed(0)} s), batches of ${batch}, PostgreSQL`,
  );
  console.log(
    `  plan of the candidate query: ${plan
      .map((r) => r["QUERY PLAN"].trim())
      .join(" / ")
      .slice(0, 140)}`,
  );
  const line = (label: string, values: number[]) =>
    console.log(`  ${label.padEnd(72)} p50 ${ms(percentile(values, 50))}   max ${ms(Math.max(...values))}`);
  line(`bare indexed query, ${due} due (ids only, keyset batches)`, busyQuery);
  line(`one cron run, ${due} breaches taken (sla_events, in-app rows, tickets)`, busyRun);
  line("bare indexed query, nothing due", idleQuery);
  line("one cron run, nothing due (every task of the tick, over HTTP)", idleRun);
  console.log(
    `  per breach taken: ${((percentile(busyRun, 50) - percentile(idleRun, 50)) / due).toFixed(2)} ms; ratio run/query with nothing due ${(percentile(idleRun, 50) / percentile(idleQuery, 50)).toFixed(1)}`,
  );
} finally {
  await db.end();
  started.child.kill("SIGTERM");
  await new Promise((r) => setTimeout(r, 1000));
  await database.drop();
}
