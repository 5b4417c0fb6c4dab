// A loopback TCP proxy in front of the test database that a test can arm to cut connections, so
// drills can lose the database at the worst moment of a real request. Tests send DATABASE_URL
// through it (`faultyDatabase()` in test/drills/faults.ts); everything else talks to the
// database directly and never sees a fault.
//
// A fault watches the client->server bytes of every connection (a rolling window, so a pattern
// split over writes still matches) and fires once all its `match` strings have been seen:
//   cut "request"  forwards half of the chunk that completed the match, then drops both sides:
//                  the server gets a message cut in two and never runs it.
//   cut "reply"    forwards the chunk, then drops both sides at the server's first answer: the
//                  server ran what it was sent, the client never learns the outcome.
//   after "blackout"  once fired, every connection dies at its first byte until the fault is
//                  removed, as if the process had died: not even its failure gets recorded.
// Tests scope a fault to themselves by matching an id only they use (a channel or message id).
//
// Control API (JSON over HTTP, used from inside workerd over loopback):
//   POST   /faults {match: string[], cut, after?}  → {id}
//   GET    /faults/<id>                           → {fired, dropped: connections dropped}
//   DELETE /faults/<id>                           disarms, ends a blackout
import { createServer as createHttpServer } from "node:http";
import { type AddressInfo, createServer, connect as netConnect, type Socket } from "node:net";
import { text } from "node:stream/consumers";

export type FaultSpec = { match: string[]; cut: "request" | "reply"; after?: "blackout" };
type Fault = FaultSpec & { id: string; needles: string[]; fired: boolean; dropped: number };
type Link = { client: Socket; server: Socket; window: string; cutOnReply?: Fault; dead: boolean };

const WINDOW_BYTES = 16 * 1024;

export async function startFaultProxy(databaseUrl: string) {
  const target = new URL(databaseUrl);
  const faults = new Map<string, Fault>();
  const links = new Set<Link>();
  let nextId = 0;

  /** Drops both sides, after `last` (a truncated message) reached the server. */
  const drop = (link: Link, fault: Fault, last?: Buffer) => {
    if (link.dead) return;
    link.dead = true;
    fault.dropped += 1;
    const end = () => {
      link.client.destroy();
      link.server.destroy();
    };
    if (last) link.server.write(last, end);
    else end();
  };
  const blackout = () => [...faults.values()].find((f) => f.fired && f.after === "blackout");

  const proxy = createServer((client) => {
    const server = netConnect(Number(target.port || 5432), target.hostname);
    const link: Link = { client, server, window: "", dead: false };
    links.add(link);
    const close = () => {
      links.delete(link);
      link.dead = true;
      client.destroy();
      server.destroy();
    };
    for (const socket of [client, server]) {
      socket.on("close", close);
      socket.on("error", close);
      socket.setNoDelay(true);
    }
    const dark = blackout();
    if (dark) return drop(link, dark);

    client.on("data", (chunk: Buffer) => {
      if (link.dead) return;
      const dark = blackout();
      if (dark) return drop(link, dark);
      // latin1 maps every byte to one character: binary-safe matching of ASCII/UTF-8 needles.
      link.window = (link.window + chunk.toString("latin1")).slice(-WINDOW_BYTES);
      const fault = [...faults.values()].find((f) => !f.fired && f.needles.every((n) => link.window.includes(n)));
      if (!fault) return server.write(chunk);
      fault.fired = true;
      link.window = "";
      if (fault.cut === "reply") {
        link.cutOnReply = fault;
        return server.write(chunk);
      }
      drop(link, fault, chunk.subarray(0, Math.floor(chunk.length / 2)));
    });
    server.on("data", (chunk: Buffer) => {
      if (link.dead) return;
      if (link.cutOnReply) return drop(link, link.cutOnReply);
      const dark = blackout();
      if (dark) return drop(link, dark);
      client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const proxyPort = (proxy.address() as AddressInfo).port;

  const control = createHttpServer(async (req, res) => {
    const reply = (status: number, body?: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(body === undefined ? "" : JSON.stringify(body));
    };
    const path = new URL(req.url ?? "/", "http://control").pathname;
    if (path === "/faults" && req.method === "POST") {
      const spec = JSON.parse(await text(req)) as FaultSpec;
      if (!Array.isArray(spec.match) || spec.match.length === 0) return reply(400, { error: "match is required" });
      const id = `fault-${++nextId}`;
      const needles = spec.match.map((m) => Buffer.from(m, "utf8").toString("latin1"));
      faults.set(id, { ...spec, id, needles, fired: false, dropped: 0 });
      return reply(201, { id });
    }
    const fault = faults.get(path.slice("/faults/".length));
    if (!path.startsWith("/faults/") || !fault) return reply(404, { error: "no such fault" });
    if (req.method === "DELETE") {
      faults.delete(fault.id);
      return reply(204);
    }
    return reply(200, { fired: fault.fired, dropped: fault.dropped });
  });
  await new Promise<void>((resolve) => control.listen(0, "127.0.0.1", resolve));
  const controlPort = (control.address() as AddressInfo).port;

  const proxied = new URL(databaseUrl);
  proxied.hostname = "127.0.0.1";
  proxied.port = String(proxyPort);
  return {
    databaseUrl: proxied.toString(),
    control: `http://127.0.0.1:${controlPort}`,
    async close() {
      for (const link of links) {
        link.client.destroy();
        link.server.destroy();
      }
      await new Promise<void>((resolve) => control.close(() => resolve()));
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    },
  };
}
