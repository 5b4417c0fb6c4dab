// A TCP proxy in front of the test database that counts what clients send, at the wire level
// (pg_stat_statements needs a server restart, and PGlite has none). Tests point DATABASE_URL at it
// to measure what a request costs the database.
//
// From the client's side of the PostgreSQL protocol:
//   connections   startup messages (an SSL or GSS request before one is not a connection)
//   roundTrips    Sync and Query messages: each is one wait for the server's ReadyForQuery
//                 (node-postgres and the Neon driver send one statement per round trip)
//   statements    Execute and Query messages
//   named         Parse messages that name their statement (prepared statements, src/db/prepared.ts)
// Connection set-up (authentication) is not in roundTrips: it depends on the server's auth method.
//
// Control: GET <url>/counts answers the totals since the start as JSON.
import { createServer as createHttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import net from "node:net";

export type WireCounts = { connections: number; roundTrips: number; statements: number; named: number };

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;

export async function startWireCounter(
  databaseUrl: string,
): Promise<{ databaseUrl: string; url: string; close(): Promise<void> }> {
  const target = new URL(databaseUrl);
  const counts: WireCounts = { connections: 0, roundTrips: 0, statements: 0, named: 0 };
  const sockets = new Set<net.Socket>();

  const proxy = net.createServer((client) => {
    const server = net.connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(server);
    let buffer = Buffer.alloc(0);
    let startup = true;
    client.on("data", (data: Buffer) => {
      buffer = Buffer.concat([buffer, data]);
      for (;;) {
        if (startup) {
          if (buffer.length < 8) break;
          const length = buffer.readInt32BE(0);
          if (buffer.length < length) break;
          const code = buffer.readInt32BE(4);
          buffer = buffer.subarray(length);
          if (code === SSL_REQUEST || code === GSSENC_REQUEST) continue;
          if (code !== CANCEL_REQUEST) counts.connections += 1;
          startup = false;
          continue;
        }
        if (buffer.length < 5) break;
        const length = 1 + buffer.readInt32BE(1);
        if (buffer.length < length) break;
        const type = String.fromCharCode(buffer[0] ?? 0);
        // Parse: its statement name is the first string, empty for an unnamed statement.
        if (type === "P" && buffer[5] !== 0) counts.named += 1;
        buffer = buffer.subarray(length);
        if (type === "S" || type === "Q") counts.roundTrips += 1;
        if (type === "E" || type === "Q") counts.statements += 1;
      }
      server.write(data);
    });
    server.on("data", (data: Buffer) => client.write(data));
    const end = () => {
      client.destroy();
      server.destroy();
      sockets.delete(client);
      sockets.delete(server);
    };
    for (const socket of [client, server]) {
      socket.on("close", end);
      socket.on("error", end);
    }
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const proxied = Object.assign(new URL(databaseUrl), { port: String((proxy.address() as AddressInfo).port) });
  proxied.hostname = "127.0.0.1";

  const control = createHttpServer((req, res) => {
    res.writeHead(req.url === "/counts" ? 200 : 404, { "content-type": "application/json" });
    res.end(JSON.stringify(req.url === "/counts" ? counts : { error: "GET /counts" }));
  });
  await new Promise<void>((resolve) => control.listen(0, "127.0.0.1", resolve));

  return {
    databaseUrl: proxied.toString(),
    url: `http://127.0.0.1:${(control.address() as AddressInfo).port}`,
    async close() {
      for (const socket of sockets) socket.destroy();
      await Promise.all([
        new Promise<void>((resolve) => proxy.close(() => resolve())),
        new Promise<void>((resolve) => control.close(() => resolve())),
      ]);
    },
  };
}
