// A WebSocket-to-TCP proxy speaking the protocol the Neon serverless driver expects from
// `neonConfig.wsProxy`: ws://host:port/v2?address=<pg host>:<pg port>, plain bytes both ways.

import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import net from "node:net";
import type * as WS from "ws";

// Loaded through require: vitest's setup runs under the workerd resolve conditions, which would
// pick ws's browser stub.
const { WebSocketServer, createWebSocketStream } = createRequire(import.meta.url)("ws") as typeof WS;

export async function startNeonProxy(): Promise<{ address: string; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  wss.on("connection", (ws, req) => {
    const target = new URL(req.url ?? "/", "http://proxy").searchParams.get("address") ?? "";
    const [host, port] = target.split(":");
    if (!host || !port) return ws.close(1008, "address missing");
    const socket = net.connect(Number(port), host);
    const stream = createWebSocketStream(ws);
    stream.pipe(socket).pipe(stream);
    socket.on("error", () => ws.terminate());
    stream.on("error", () => socket.destroy());
  });
  await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
  const { port } = wss.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}/v2`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}
