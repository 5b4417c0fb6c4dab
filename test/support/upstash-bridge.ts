// An Upstash-REST-compatible bridge to a real Redis (the machine's, 127.0.0.1:6379), so the
// @upstash/redis and @upstash/ratelimit code paths run against Redis itself in tests:
//   POST /            ["CMD", ...args]          → {result} | {error}
//   POST /pipeline    [["CMD", ...], ...]       → [{result} | {error}, ...]
//   POST /multi-exec  [["CMD", ...], ...]       → same, inside MULTI/EXEC
// With `Upstash-Encoding: base64` string results are base64-encoded, as Upstash does.
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import type * as Redis from "redis";

const { createClient } = createRequire(import.meta.url)("redis") as typeof Redis;
export const UPSTASH_TEST_TOKEN = "upstash-test-token";

type Reply = string | number | null | Reply[] | Buffer;

function encode(value: unknown, base64: boolean): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString(base64 ? "base64" : "utf8");
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "string") return base64 ? Buffer.from(value).toString("base64") : value;
  if (Array.isArray(value)) return value.map((v) => encode(v, base64));
  return value ?? null;
}

function read(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
  });
}

export async function startUpstashBridge(redisUrl = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379") {
  const redis = createClient({ url: redisUrl });
  redis.on("error", () => {});
  await redis.connect();
  // Upstash accepts a script flag open-source Redis 7.0 rejects; scripts are stored without it,
  // and the SHA the client computed over the original text is mapped to the stored one.
  const shas = new Map<string, string>();
  const adapt = (command: string[]): string[] => {
    const name = command[0]?.toUpperCase();
    if ((name === "EVAL" || name === "EVAL_RO") && command[1]) {
      const original = command[1];
      const script = original.replace(/^#!lua flags=[^\n]*/, "#!lua");
      shas.set(createHash("sha1").update(original).digest("hex"), createHash("sha1").update(script).digest("hex"));
      return [command[0] ?? "EVAL", script, ...command.slice(2)];
    }
    if ((name === "EVALSHA" || name === "EVALSHA_RO") && command[1]) {
      return [command[0] ?? "EVALSHA", shas.get(command[1]) ?? command[1], ...command.slice(2)];
    }
    return command;
  };
  const run = async (command: unknown[]): Promise<{ result?: unknown; error?: string }> => {
    try {
      return { result: (await redis.sendCommand(adapt(command.map(String)))) as Reply };
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
  };
  const server = createServer(async (req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${UPSTASH_TEST_TOKEN}`) return reply(401, { error: "Unauthorized" });
    const base64 = String(req.headers["upstash-encoding"] ?? "").toLowerCase() === "base64";
    const body = JSON.parse((await read(req)) || "[]") as unknown[];
    const path = new URL(req.url ?? "/", "http://bridge").pathname;
    if (path === "/pipeline" || path === "/multi-exec") {
      const commands = body as unknown[][];
      const results = [];
      if (path === "/multi-exec") await redis.sendCommand(["MULTI"]);
      for (const command of commands) results.push(await run(command));
      if (path === "/multi-exec") await redis.sendCommand(["EXEC"]);
      return reply(
        200,
        results.map((r) => (r.error ? r : { result: encode(r.result, base64) })),
      );
    }
    const result = await run(body);
    if (result.error) return reply(400, result);
    return reply(200, { result: encode(result.result, base64) });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await redis.quit();
    },
  };
}
