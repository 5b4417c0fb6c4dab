// A CPU profile of the gateway's ingest under load, for finding where a webhook's time goes.
//   node scripts/profile-ingest.ts [returning|new|baseline|health] [seconds] [--cpu]   (PROFILE_CONNECTIONS, default 10)
// Starts the gateway under `wrangler dev` with its inspector open on a fresh database, fires
// signed Meta webhooks with autocannon (as npm run bench does) while the V8 profiler samples, and
// prints the functions with the most self time, grouped by module. The profile is written to
// /tmp/ingest.cpuprofile (open it in Chrome DevTools for the flame chart).
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import autocannon from "autocannon";
import pg from "pg";
import WebSocket from "ws";
import {
  benchDatabase,
  benchOrganization,
  freePort,
  gatewayVars,
  metaWebhook,
  startPooler,
  startWorker,
  waitFor,
  workerdCpuSeconds,
} from "./bench-support.ts";

// "baseline": the same requests to npm run bench's baseline Worker (inserts the raw body).
// "health": GET /api/health, the floor of a request through the app (a connection, one query).
const mode = (["new", "baseline", "health"] as const).find((m) => m === process.argv[2]) ?? "returning";
const seconds = Number(process.argv[3] ?? 10);
// --cpu: no profiler, only the workerd processes' CPU time per request (robust on a busy machine).
const cpuOnly = process.argv.includes("--cpu");

type Node = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] };
type Profile = { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };

/**
 * CPU seconds of the local PostgreSQL server so far: its live processes, and the backends that
 * exited (a connection per request), which the postmaster's children times hold once reaped.
 * Whatever else uses the server counts too: compare runs, not absolute figures.
 */
function postgresCpuSeconds(): number {
  let ticks = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")) !== "postgres") continue;
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    } catch {}
  }
  return ticks / 100;
}

/** CPU seconds by process name of this process and everything under it (wrangler, workerd). */
function treeCpuSeconds(root: number): Map<string, number> {
  const processes = new Map<number, { parent: number; name: string; ticks: number }>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      processes.set(Number(entry), { parent: Number(fields[1]), name, ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {}
  }
  const under = (pid: number) => {
    for (let p: number | undefined = pid; p; p = processes.get(p)?.parent) if (p === root) return true;
    return false;
  };
  const byName = new Map<string, number>();
  for (const [pid, proc] of processes) {
    if (under(pid)) byName.set(proc.name, (byName.get(proc.name) ?? 0) + proc.ticks / 100);
  }
  return byName;
}

async function inspector(port: number) {
  for (let i = 0; i < 60; i++) {
    try {
      const targets = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as {
        webSocketDebuggerUrl: string;
      }[];
      const target = targets.find((t) => t.webSocketDebuggerUrl);
      if (target) {
        const ws = new WebSocket(target.webSocketDebuggerUrl);
        await new Promise((r, j) => ws.once("open", r).once("error", j));
        let next = 1;
        const pending = new Map<number, (v: unknown) => void>();
        ws.on("message", (data) => {
          const message = JSON.parse(String(data));
          pending.get(message.id)?.(message.result);
        });
        const send = (method: string, params: Record<string, unknown> = {}) =>
          new Promise<unknown>((resolve) => {
            const id = next++;
            pending.set(id, resolve);
            ws.send(JSON.stringify({ id, method, params }));
          });
        return { ws, send };
      }
    } catch {}
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("no inspector");
}

const database = await benchDatabase("switchboard_profile");
// PROFILE_KEEP=1 keeps the database (and logs its statements, for replaying them with pgbench);
// PROFILE_SQL runs on it first (an experiment: a trigger disabled, an index dropped).
if (process.env.PROFILE_KEEP || process.env.PROFILE_SQL) {
  const admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
  if (process.env.PROFILE_KEEP) await admin.query(`alter database ${database.name} set log_statement = 'all'`);
  if (process.env.PROFILE_SQL) await admin.query(process.env.PROFILE_SQL);
  await admin.end();
}
// PROFILE_POOLED=1: through PgBouncer (startPooler; PGBOUNCER picks the binary), as npm run bench's
// pooled runs. PROFILE_PREPARED=on|off sets DATABASE_PREPARED_STATEMENTS (default: the app's auto).
const pooler = process.env.PROFILE_POOLED ? await startPooler() : null;
if (process.env.PROFILE_POOLED && !pooler) throw new Error("PROFILE_POOLED: pgbouncer is not installed");
const databaseUrl = pooler ? pooler.url(database.url) : database.url;
const port = await freePort();
const inspectorPort = await freePort();
const config = mode === "baseline" ? "bench/wrangler.baseline.toml" : "wrangler.toml";
const child = startWorker(["--config", config, "--inspector-port", String(inspectorPort)], port, {
  ...gatewayVars(databaseUrl, port),
  ...(process.env.PROFILE_PREPARED ? { DATABASE_PREPARED_STATEMENTS: process.env.PROFILE_PREPARED } : {}),
});
try {
  const gateway = `http://127.0.0.1:${port}`;
  const phoneNumberId = "100200300";
  let target = `${gateway}/`;
  let appSecret = "";
  if (mode === "baseline") {
    await waitFor(gateway, child);
    const setup = new pg.Client({ connectionString: database.url });
    await setup.connect();
    await setup.query(
      "create table bench_raw (id bigserial primary key, body jsonb not null, received_at timestamptz not null default now())",
    );
    await setup.end();
  } else {
    await waitFor(`${gateway}/api/health`, child);
    const organization = await benchOrganization(gateway, "Profile", phoneNumberId);
    target = `${gateway}/webhooks/meta/${organization.channelId}`;
    appSecret = organization.appSecret;
  }
  let n = 0;
  const body = () => {
    n += 1;
    const from =
      mode === "returning"
        ? `55119${String(10_000_000 + (n % 200)).padStart(8, "0")}`
        : `55219${String(10_000_000 + n).padStart(8, "0")}`;
    return metaWebhook({
      phoneNumberId,
      appSecret,
      from,
      id: `wamid.profile.${Date.now()}.${n}`,
      text: `mensagem ${n}`,
      name: `Cliente ${n % 200}`,
    });
  };
  if (mode === "health") target = `${gateway}/api/health`;
  // PROFILE_CONNECTIONS=1: one request at a time, so the CPU figures carry no contention.
  const connections = Number(process.env.PROFILE_CONNECTIONS ?? 10);
  const load = (duration: number) =>
    autocannon({
      url: target,
      method: mode === "health" ? "GET" : "POST",
      connections,
      duration,
      requests:
        mode === "health" ? undefined : [{ setupRequest: (req: autocannon.Request) => ({ ...req, ...body() }) }],
    });
  await load(5); // warm up (and, for returning customers, open their tickets)
  if (cpuOnly) {
    for (let round = 0; round < 3; round++) {
      const before = workerdCpuSeconds(child.pid) ?? 0;
      const pgBefore = postgresCpuSeconds();
      const treeBefore = treeCpuSeconds(process.pid);
      const result = await load(seconds);
      const tree = treeCpuSeconds(process.pid);
      const byName = [...tree.entries()]
        .map(([name, t]) => [name, ((t - (treeBefore.get(name) ?? 0)) * 1000) / result.requests.total] as const)
        .filter(([, ms]) => ms > 0.05)
        .map(([name, ms]) => `${name} ${ms.toFixed(2)}`)
        .join(", ");
      console.log(`  CPU ms per request under this process: ${byName}`);
      const cpu = ((workerdCpuSeconds(child.pid) ?? 0) - before) * 1000;
      const pgCpu = (postgresCpuSeconds() - pgBefore) * 1000;
      console.log(
        `${mode}: ${result.requests.average.toFixed(0)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ` +
          `${(cpu / result.requests.total).toFixed(2)} ms workerd CPU per request, ` +
          `${(pgCpu / result.requests.total).toFixed(2)} ms PostgreSQL CPU (whole server) (${result.requests.total} requests)`,
      );
    }
  }
  if (!cpuOnly) await profileUnderLoad();
  async function profileUnderLoad() {
    const { ws, send } = await inspector(inspectorPort);
    await send("Profiler.enable");
    await send("Profiler.setSamplingInterval", { interval: 200 });
    await send("Profiler.start");
    const result = await load(seconds);
    const { profile } = (await send("Profiler.stop")) as { profile: Profile };
    ws.close();
    writeFileSync("/tmp/ingest.cpuprofile", JSON.stringify(profile));

    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    const self = new Map<number, number>();
    for (const [i, id] of profile.samples.entries()) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
    const total = [...self.values()].reduce((a, b) => a + b, 0);
    const idle = [...self.entries()]
      .filter(([id]) => ["(idle)", "(program)"].includes(byId.get(id)?.callFrame.functionName ?? ""))
      .reduce((a, [, t]) => a + t, 0);
    const requests = result.requests.total;
    console.log(
      `${mode}: ${result.requests.average.toFixed(0)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms; ` +
        `busy ${((total - idle) / 1000 / requests).toFixed(2)} ms of JS per request (${requests} requests)`,
    );
    // Inclusive time per function (each sample counted once per distinct frame on its stack).
    const parent = new Map<number, number>();
    for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
    const inclusive = new Map<string, number>();
    const selfBy = new Map<string, number>();
    const key = (node: Node) =>
      `${node.callFrame.functionName || "(anonymous)"} ${node.callFrame.url.split("/").slice(-2).join("/")}:${node.callFrame.lineNumber}`;
    for (const [id, t] of self) {
      const node = byId.get(id);
      if (!node) continue;
      selfBy.set(key(node), (selfBy.get(key(node)) ?? 0) + t);
      const seen = new Set<string>();
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        const k = key(byId.get(cur) as Node);
        if (seen.has(k)) continue;
        seen.add(k);
        inclusive.set(k, (inclusive.get(k) ?? 0) + t);
      }
    }
    const top = (m: Map<string, number>, count: number) =>
      [...m.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, count)
        .map(([k, t]) => `  ${(t / 1000 / requests).toFixed(3).padStart(7)} ms  ${k}`)
        .join("\n");
    console.log(`self time per request:\n${top(selfBy, 40)}`);
    console.log(`inclusive time per request:\n${top(inclusive, 70)}`);
  }
} finally {
  child.kill("SIGTERM");
  await new Promise((r) => setTimeout(r, 1000));
  await pooler?.stop();
  if (process.env.PROFILE_KEEP) {
    console.log(`kept ${database.name}`);
    await database.keep();
  } else await database.drop();
}
