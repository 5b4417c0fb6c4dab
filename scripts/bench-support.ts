// What the benchmarks share: a throwaway database on the machine's PostgreSQL, Workers under
// `wrangler dev`, and an organization with a WhatsApp (Meta) channel made through the public API.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import { homedir, tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { migrateDatabase } from "./migrate.ts";

export const root = path.resolve(import.meta.dirname, "..");
export const serverUrl = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function waitFor(url: string, child: ChildProcess) {
  for (let i = 0; i < 240; i++) {
    if (child.exitCode !== null) throw new Error(`worker exited with ${child.exitCode}`);
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`${url} did not come up`);
}

export function startWorker(args: string[], port: number, vars: Record<string, string>): ChildProcess {
  const varArgs = Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
  return spawn(
    path.join(root, "node_modules", ".bin", "wrangler"),
    ["dev", ...args, "--port", String(port), "--ip", "127.0.0.1", ...varArgs],
    {
      cwd: root,
      stdio: ["ignore", "ignore", process.env.BENCH_VERBOSE ? "inherit" : "ignore"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    },
  );
}

/** A migrated database of its own on the server; `drop` removes it, whatever state it is in. */
export async function benchDatabase(
  prefix: string,
): Promise<{ name: string; url: string; drop(): Promise<void>; keep(): Promise<void> }> {
  const name = `${prefix}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = Object.assign(new URL(serverUrl), { pathname: `/${name}` }).toString();
  const drop = async () => {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  };
  try {
    await migrateDatabase(url);
  } catch (error) {
    await drop();
    throw error;
  }
  // Keeping the database still closes the admin connection, or the process would never exit.
  return { name, url, drop, keep: () => admin.end() };
}

/** A gateway's variables on a port: the database, fresh secrets, no rate limits in the way. */
export function gatewayVars(databaseUrl: string, port: number): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    JWT_SECRET: randomBytes(48).toString("base64url"),
    LOCAL_JOBS_SIGNING_KEY: randomBytes(32).toString("base64url"),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    LOG_LEVEL: "error",
    WEBHOOK_RATE_LIMIT_PER_MINUTE: "100000000",
    API_RATE_LIMIT_PER_MINUTE: "100000000",
    REGISTER_MAX_PER_IP: "1000",
  };
}

/** The gateway under `wrangler dev` on the database, with fresh secrets and no rate limits in the way. */
export async function startGateway(
  databaseUrl: string,
  vars: Record<string, string> = {},
  /** More `wrangler dev` flags, e.g. --test-scheduled for /__scheduled (the SLA bench). */
  flags: string[] = [],
): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = startWorker(["--config", "wrangler.toml", ...flags], port, {
    ...gatewayVars(databaseUrl, port),
    ...vars,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/api/health`, child);
  return { url, child };
}

export type BenchOrganization = {
  organizationId: string;
  email: string;
  token: string;
  channelId: string;
  appSecret: string;
};

export const BENCH_PASSWORD = "benchmark password 1";

/** Registers an organization and gives it a Meta channel, through the API as a new user would. */
export async function benchOrganization(
  gateway: string,
  name: string,
  phoneNumberId: string,
): Promise<BenchOrganization> {
  const email = `${name.toLowerCase().replace(/\W/g, "-")}-${Date.now()}@example.com`;
  const registered = (await (
    await fetch(`${gateway}/api/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ organizationName: name, name, email, password: BENCH_PASSWORD }),
    })
  ).json()) as { token: string; organization: { id: string } };
  const appSecret = randomBytes(16).toString("hex");
  const channel = (await (
    await fetch(`${gateway}/api/channels`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${registered.token}` },
      body: JSON.stringify({
        type: "whatsapp_meta",
        name: "bench",
        config: { phoneNumberId, accessToken: "x", appSecret, verifyToken: "v" },
      }),
    })
  ).json()) as { id: string };
  return {
    organizationId: registered.organization.id,
    email,
    token: registered.token,
    channelId: channel.id,
    appSecret,
  };
}

/** A token for a user of a database seeded by an earlier run (the gateway's JWT secret is new). */
export async function login(gateway: string, email: string): Promise<string> {
  const response = await fetch(`${gateway}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password: BENCH_PASSWORD }),
  });
  if (!response.ok) throw new Error(`login ${email}: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { token: string }).token;
}

/**
 * CPU seconds used so far by the workerd processes under `pid` (wrangler starts them), read from
 * Linux's /proc; null elsewhere. It includes wrangler's dev proxy Worker, so per request it is an
 * upper bound of what Cloudflare bills as the Worker's CPU time.
 */
export function workerdCpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  const processes = new Map<number, { parent: number; name: string; ticks: number }>();
  try {
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      } catch {
        continue; // exited meanwhile
      }
      // pid (name) state ppid ... utime stime: fields 14 and 15, counted after the parenthesis.
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      processes.set(Number(entry), {
        parent: Number(fields[1]),
        name,
        ticks: Number(fields[11]) + Number(fields[12]),
      });
    }
  } catch {
    return null;
  }
  const under = (child: number): boolean => {
    for (let p = processes.get(child)?.parent; p; p = processes.get(p)?.parent) if (p === pid) return true;
    return false;
  };
  let ticks = 0;
  for (const [id, proc] of processes) if (proc.name === "workerd" && under(id)) ticks += proc.ticks;
  return ticks / 100; // USER_HZ, 100 on Linux
}

/**
 * PgBouncer in transaction mode in front of the server, as Neon's pooled connection string (the
 * `-pooler` host) puts one in front of production: every Worker invocation still opens a
 * connection, but to the pooler, which hands it a server backend that is already warm (its
 * catalog caches filled, no fork). Null where pgbouncer is not installed (`apt-get install
 * pgbouncer`); the benchmarks then measure direct connections only.
 */
export async function startPooler(): Promise<{
  url(databaseUrl: string): string;
  /** PgBouncer 1.21 and later keeps named statements per server connection (max_prepared_statements). */
  tracksPrepared: boolean;
  version: string;
  stop(): Promise<void>;
} | null> {
  // PGBOUNCER: another build. Without it, Debian 13's 1.24 where scripts/pgbouncer-debian13.sh
  // left it (it keeps named statements, as Neon's pooler does; Debian 12 ships 1.18), then the system's.
  const cached = path.join(
    process.env.XDG_CACHE_HOME ?? path.join(homedir(), ".cache"),
    "switchboard",
    "pgbouncer-debian13",
    "pgbouncer",
  );
  const binary = [process.env.PGBOUNCER ?? "", cached, "/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"].find(
    (file) => file && existsSync(file),
  );
  if (!binary) return null;
  const version = /PgBouncer (\d+)\.(\d+)\S*/.exec(execFileSync(binary, ["--version"], { encoding: "utf8" }));
  const tracksPrepared = Number(version?.[1]) > 1 || (Number(version?.[1]) === 1 && Number(version?.[2]) >= 21);
  const server = new URL(serverUrl);
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), "switchboard-pgbouncer-"));
  const user = decodeURIComponent(server.username || "postgres");
  writeFileSync(path.join(dir, "users.txt"), `"${user}" "${decodeURIComponent(server.password)}"\n`);
  writeFileSync(
    path.join(dir, "pgbouncer.ini"),
    [
      "[databases]",
      `* = host=${server.hostname} port=${server.port || 5432}`,
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      "unix_socket_dir =",
      `auth_type = ${server.password ? "plain" : "trust"}`,
      `auth_file = ${path.join(dir, "users.txt")}`,
      "pool_mode = transaction",
      "max_client_conn = 2000",
      "default_pool_size = 20",
      "ignore_startup_parameters = extra_float_digits,options",
      ...(tracksPrepared ? ["max_prepared_statements = 200"] : []),
      `logfile = ${path.join(dir, "pgbouncer.log")}`,
    ].join("\n"),
  );
  // PgBouncer refuses to run as root; -u drops to the server's own user.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) execFileSync("chown", ["-R", "postgres", dir]);
  const child = spawn(binary, [...(asRoot ? ["-u", "postgres"] : []), path.join(dir, "pgbouncer.ini")], {
    stdio: "ignore",
  });
  for (let i = 0; i < 40; i++) {
    const client = new pg.Client({ connectionString: `postgres://${user}@127.0.0.1:${port}/postgres` });
    try {
      await client.connect();
      await client.end();
      break;
    } catch {
      if (child.exitCode !== null || i === 39) throw new Error(`pgbouncer did not start (see ${dir}/pgbouncer.log)`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return {
    tracksPrepared,
    version: version?.[0] ?? "PgBouncer",
    url: (databaseUrl) => Object.assign(new URL(databaseUrl), { hostname: "127.0.0.1", port: String(port) }).toString(),
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => setTimeout(r, 300));
    },
  };
}

/** A Meta (WhatsApp Cloud API) text message webhook, signed as Meta signs it: what every benchmark posts. */
export function metaWebhook(message: {
  phoneNumberId: string;
  appSecret: string;
  from: string;
  id: string;
  text: string;
  name?: string;
}): { body: string; headers: Record<string, string> } {
  const { phoneNumberId, appSecret, from, id, text } = message;
  const body = JSON.stringify({
    object: "whatsapp_business_account",
    entry: [
      {
        id: "1",
        changes: [
          {
            field: "messages",
            value: {
              messaging_product: "whatsapp",
              metadata: { display_phone_number: "15550000000", phone_number_id: phoneNumberId },
              contacts: [{ profile: { name: message.name ?? "Cliente" }, wa_id: from }],
              messages: [
                { from, id, timestamp: String(Math.floor(Date.now() / 1000)), type: "text", text: { body: text } },
              ],
            },
          },
        ],
      },
    ],
  });
  const signature = `sha256=${createHmac("sha256", appSecret).update(body).digest("hex")}`;
  return { body, headers: { "content-type": "application/json", "x-hub-signature-256": signature } };
}
